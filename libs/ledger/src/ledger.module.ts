import { Module } from '@nestjs/common';
import { AgreementService } from './agreement.service.js';
import { LedgerRepository } from './ledger.repository.js';
import { MeteringService } from './metering.service.js';
import { PeriodService } from './period.service.js';
import { PostingService } from './posting.service.js';
import { ReconciliationRepository } from './reconciliation.repository.js';
import { ReconciliationService } from './reconciliation.service.js';
import { StatementRepository } from './statements/statement.repository.js';
import { StatementService } from './statements/statement.service.js';

/** The ledger's services for the API and the worker (needs `PlatformModule` for `Db`). */
@Module({
  providers: [
    LedgerRepository,
    StatementRepository,
    ReconciliationRepository,
    AgreementService,
    PeriodService,
    PostingService,
    MeteringService,
    StatementService,
    ReconciliationService,
  ],
  exports: [AgreementService, PeriodService, PostingService, MeteringService, StatementService, ReconciliationService],
})
export class LedgerModule {}
