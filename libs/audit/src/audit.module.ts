import { Global, Module } from '@nestjs/common';
import { AuditRepository } from './audit.repository.js';
import { AuditLog } from './audit-log.service.js';

/**
 * Makes `AuditLog` injectable everywhere (global): every domain module appends to the one trail.
 * `AuditTrailService` (read, verify, export, checkpoints) needs a `CHECKPOINT_SIGNER` and is
 * provided by the API's audit module, which wires the identity lib's key store in.
 */
@Global()
@Module({ providers: [AuditRepository, AuditLog], exports: [AuditRepository, AuditLog] })
export class AuditModule {}
