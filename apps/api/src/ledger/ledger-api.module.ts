import { Module } from '@nestjs/common';
import { ComplianceModule } from '@harbour/compliance';
import { LedgerController } from './ledger.controller.js';

/** HTTP delivery of the revenue-share ledger: agreements, statements, period close, reconciliation. */
@Module({ imports: [ComplianceModule], controllers: [LedgerController] })
export class LedgerApiModule {}
