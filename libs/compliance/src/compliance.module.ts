import { Module } from '@nestjs/common';
import { AuditTrailService, CHECKPOINT_SIGNER } from '@harbour/audit';
import { SigningKeyService } from '@harbour/auth';
import { LedgerModule, LedgerRepository, StatementRepository } from '@harbour/ledger';
import { ComplianceRepository } from './compliance.repository.js';
import { ComplianceReportService } from './compliance-report.service.js';
import { LedgerGatewayService } from './ledger-gateway.service.js';

/**
 * Compliance packs and the ledger's caller-scoped use cases. Needs PlatformModule (Db),
 * AuditModule and AuthModule (the station key store signs statements, checkpoints and packs).
 */
@Module({
  imports: [LedgerModule],
  providers: [
    ComplianceRepository,
    ComplianceReportService,
    LedgerGatewayService,
    LedgerRepository,
    StatementRepository,
    AuditTrailService,
    { provide: CHECKPOINT_SIGNER, useExisting: SigningKeyService },
  ],
  exports: [ComplianceReportService, LedgerGatewayService],
})
export class ComplianceModule {}
