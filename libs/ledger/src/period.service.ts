import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@harbour/errors';
import { Db } from '@harbour/persistence';
import { mapLedgerDbError } from './ledger-db-errors.js';
import { LedgerRepository, type PeriodRow } from './ledger.repository.js';
import { isoDate, nextPeriod, periodBounds, periodOf, type PeriodId } from './periods.js';
import { rule } from './validation.js';
import { assertPeriodId } from './periods.js';

export interface ClosedPeriod {
  readonly periodId: PeriodId;
  /** Accounts with movements in the period (one balance snapshot each). */
  readonly accounts: number;
  readonly debitPence: number;
  readonly creditPence: number;
}

/**
 * Accounting periods: monthly, created on first use, closed in order. After close nothing is
 * dated in a period; late events and corrections go to the next open period.
 */
@Injectable()
export class PeriodService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(LedgerRepository) private readonly repo: LedgerRepository,
  ) {}

  /**
   * The period a posting wanted in `requested` is dated in: `requested` if open, else the first
   * open period after it (created if needed). Holds it open until the caller's transaction ends,
   * so it cannot close under the posting. Must run inside `Db.run`.
   */
  async postingPeriodFor(requested: PeriodId): Promise<PeriodId> {
    if (!this.db.inTransaction()) throw new Error('postingPeriodFor must run in a transaction');
    let id = requested;
    for (let guard = 0; guard < 10_000; guard++) {
      const status = await this.repo.holdPeriod(id);
      if (status === 'open') return id;
      if (status === 'closed') {
        id = nextPeriod(id);
        continue;
      }
      // Missing: closed periods form a prefix, so it is open-able only after the last closed one.
      const last = await this.repo.lastClosedPeriod();
      if (last !== undefined && last >= id) {
        id = nextPeriod(last);
        continue;
      }
      const { start, end } = periodBounds(id);
      await this.repo.ensurePeriod(id, isoDate(start), isoDate(end));
    }
    throw new Error(`no open period found from ${requested}`);
  }

  /** A named period for an explicit posting: must be open (or creatable), else `period_closed`. */
  async requireOpen(periodId: PeriodId): Promise<PeriodId> {
    const id = rule('periodId', () => assertPeriodId(periodId));
    const dated = await this.postingPeriodFor(id);
    if (dated !== id) throw new DomainError('period_closed', `period ${id} is closed: post the adjustment in ${dated}`);
    return id;
  }

  /**
   * Close a period: refuse postings dated in it from now on and snapshot every account's movement
   * in it. Periods close in order and only after they end. Waits for postings in flight.
   */
  async closePeriod(periodId: PeriodId, opts: { closedBy?: string; now?: Date } = {}): Promise<ClosedPeriod> {
    const id = rule('period', () => assertPeriodId(periodId));
    const now = opts.now ?? new Date();
    if (periodBounds(id).end > now) throw new DomainError('invalid_transition', `period ${id} has not ended yet`);
    try {
      return await this.db.run(async () => {
        let p = await this.repo.lockPeriodForUpdate(id);
        if (!p) {
          const { start, end } = periodBounds(id);
          await this.repo.ensurePeriod(id, isoDate(start), isoDate(end));
          p = await this.repo.lockPeriodForUpdate(id);
        }
        if (!p || p.status === 'closed') throw new DomainError('period_closed', `period ${id} is already closed`);
        const earlier = await this.repo.openPeriodsBefore(id);
        if (earlier.length > 0) throw new DomainError('invalid_transition', `close ${earlier.join(', ')} first`);
        const summary = await this.repo.closePeriod(id, opts.closedBy ?? null);
        // Cannot differ while every journal balances; if it does, keep the period open.
        if (summary.debitPence !== summary.creditPence)
          throw new DomainError('unbalanced_posting', `period ${id} does not balance; not closed`);
        return { periodId: id, ...summary };
      });
    } catch (err) {
      throw mapLedgerDbError(err);
    }
  }

  async listPeriods(): Promise<PeriodRow[]> {
    return this.repo.listPeriods();
  }

  async getPeriod(periodId: PeriodId): Promise<PeriodRow | undefined> {
    return this.repo.findPeriod(rule('period', () => assertPeriodId(periodId)));
  }

  /** The period postings made now are dated in (current month, or later if it is closed). */
  async currentPeriod(now: Date = new Date()): Promise<PeriodId> {
    return this.db.run(() => this.postingPeriodFor(periodOf(now)));
  }
}
