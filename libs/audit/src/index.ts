export * from './audit-actions.js';
export * from './audit-record.js';
export * from './canonical-json.js';
export * from './chain-hash.js';
export * from './safe-payload.js';
export * from './audit.repository.js';
export * from './audit-log.service.js';
export * from './audit-trail.service.js';
export * from './audit.module.js';
export * from './audit-jobs.js';
export * from './verify/verify-trail.js';
export * from './fhir/audit-event.js';
export * from './entities/audit-entry.entity.js';
export * from './entities/audit-chain-head.entity.js';
export * from './entities/audit-checkpoint.entity.js';
export * from './entities/audit-pending.entity.js';
import { AuditEntry } from './entities/audit-entry.entity.js';
import { AuditChainHead } from './entities/audit-chain-head.entity.js';
import { AuditCheckpoint } from './entities/audit-checkpoint.entity.js';
import { AuditPending } from './entities/audit-pending.entity.js';

/** Entities of the audit context, registered with the data source. */
export const AUDIT_ENTITIES = [AuditEntry, AuditPending, AuditChainHead, AuditCheckpoint];
export * from './export-files.js';
