import type { Db } from '@harbour/persistence';
import type { AuditLog, AuditTrailService, CheckpointSigner } from '@harbour/audit';
import { createLedger, LedgerRepository, StatementRepository } from '@harbour/ledger';
import { ComplianceRepository } from './compliance.repository.js';
import { ComplianceReportService } from './compliance-report.service.js';
import { LedgerGatewayService } from './ledger-gateway.service.js';

/** The compliance services without Nest (the CLI, tests): same wiring as `ComplianceModule`. */
export function createCompliance(parts: { db: Db; audit: AuditLog; auditTrail: AuditTrailService; signer: CheckpointSigner }): {
  reports: ComplianceReportService;
  ledger: LedgerGatewayService;
} {
  const { db, audit, auditTrail, signer } = parts;
  const ledger = createLedger(db);
  const repo = new ComplianceRepository(db);
  return {
    reports: new ComplianceReportService(
      repo,
      auditTrail,
      audit,
      signer,
      ledger.agreements,
      ledger.periods,
      ledger.statements,
      ledger.reconciliation,
    ),
    ledger: new LedgerGatewayService(
      db,
      repo,
      audit,
      signer,
      ledger.agreements,
      ledger.metering,
      ledger.periods,
      ledger.statements,
      new StatementRepository(db),
      ledger.reconciliation,
      new LedgerRepository(db),
    ),
  };
}
