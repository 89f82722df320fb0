import { Module } from '@nestjs/common';
import { AuditTrailService, CHECKPOINT_SIGNER } from '@harbour/audit';
import { SigningKeyService } from '@harbour/auth';
import { AuditController } from './audit.controller.js';

/** HTTP delivery of the audit trail; checkpoints are signed by the station key store. */
@Module({
  controllers: [AuditController],
  providers: [AuditTrailService, { provide: CHECKPOINT_SIGNER, useExisting: SigningKeyService }],
})
export class AuditApiModule {}
