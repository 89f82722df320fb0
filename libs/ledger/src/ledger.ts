import type { Db } from '@harbour/persistence';
import { AgreementService } from './agreement.service.js';
import { LedgerRepository } from './ledger.repository.js';
import { MeteringService } from './metering.service.js';
import { PeriodService } from './period.service.js';
import { PostingService } from './posting.service.js';
import { ReconciliationRepository } from './reconciliation.repository.js';
import { ReconciliationService } from './reconciliation.service.js';
import { StatementRepository } from './statements/statement.repository.js';
import { StatementService } from './statements/statement.service.js';

export interface Ledger {
  readonly agreements: AgreementService;
  readonly periods: PeriodService;
  readonly postings: PostingService;
  readonly metering: MeteringService;
  readonly statements: StatementService;
  readonly reconciliation: ReconciliationService;
}

/** The ledger's services without Nest (the CLI, benchmarks, tests): same wiring as `LedgerModule`. */
export function createLedger(db: Db): Ledger {
  const repo = new LedgerRepository(db);
  const periods = new PeriodService(db, repo);
  return {
    agreements: new AgreementService(db, repo),
    periods,
    postings: new PostingService(db, repo, periods),
    metering: new MeteringService(db, repo, periods),
    statements: new StatementService(db, new StatementRepository(db)),
    reconciliation: new ReconciliationService(db, new ReconciliationRepository(db)),
  };
}
