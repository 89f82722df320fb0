import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { assertPeriodId, type PeriodId } from './periods.js';
import { ReconciliationRepository, type Finding } from './reconciliation.repository.js';
import { rule } from './validation.js';

export const RECONCILIATION_CHECKS = [
  'events_have_postings',
  'postings_have_events',
  'event_postings_match_events',
  'reversals_mirror_originals',
  'journals_balance',
  'currencies_match_accounts',
  'trial_balance',
  'balances_match_lines',
] as const;
export type ReconciliationCheck = (typeof RECONCILIATION_CHECKS)[number];

export interface ReconciliationResult {
  readonly check: ReconciliationCheck;
  readonly ok: boolean;
  /** Rows that break the invariant (all of them, even when only the first 100 are listed). */
  readonly differences: number;
  readonly findings: readonly Finding[];
  /** Why a check did not apply (e.g. balances are snapshotted only when a period closes). */
  readonly skipped?: string;
}

export interface ReconciliationReport {
  readonly periodId: PeriodId;
  readonly periodStatus: 'open' | 'closed' | 'missing';
  readonly counts: {
    readonly events: number;
    readonly journals: number;
    readonly lines: number;
    readonly debitPence: number;
    readonly creditPence: number;
  };
  readonly checks: readonly ReconciliationResult[];
  /** True when no check found a difference. */
  readonly ok: boolean;
}

/**
 * Proves a period's books from the raw rows, independently of the code that wrote them: every
 * billable event has its postings and every posting its event, each event journal carries exactly
 * the amounts its event recorded, every journal balances, and (once closed) every account's
 * balance snapshot still equals the sum of its lines. The triggers make these hold for every
 * writer; reconciliation shows they did (and catches tampering by anyone able to bypass triggers).
 */
@Injectable()
export class ReconciliationService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(ReconciliationRepository) private readonly repo: ReconciliationRepository,
  ) {}

  async reconcile(periodId: PeriodId): Promise<ReconciliationReport> {
    const id = rule('period', () => assertPeriodId(periodId));
    const fresh = !this.db.inTransaction();
    return this.db.run(async () => {
      if (fresh) await this.repo.useSnapshot();
      const status = (await this.repo.periodStatus(id)) ?? 'missing';
      const counts = await this.repo.counts(id);
      const checks: ReconciliationResult[] = [];
      const add = (check: ReconciliationCheck, r: { total: number; items: readonly Finding[] }): void => {
        checks.push({ check, ok: r.total === 0, differences: r.total, findings: r.items });
      };
      add('events_have_postings', await this.repo.eventsWithoutPostings(id));
      add('postings_have_events', await this.repo.postingsWithoutEvents(id));
      add('event_postings_match_events', await this.repo.eventPostingsMismatched(id));
      add('reversals_mirror_originals', await this.repo.reversalsMismatched(id));
      add('journals_balance', await this.repo.unbalancedJournals(id));
      add('currencies_match_accounts', await this.repo.currencyMismatches(id));
      const trialOk = counts.debitPence === counts.creditPence;
      checks.push({
        check: 'trial_balance',
        ok: trialOk,
        differences: trialOk ? 0 : 1,
        findings: trialOk ? [] : [{ ref: id, detail: `debits ${counts.debitPence} <> credits ${counts.creditPence}` }],
      });
      if (status === 'closed') add('balances_match_lines', await this.repo.balancesMismatched(id));
      else
        checks.push({
          check: 'balances_match_lines',
          ok: true,
          differences: 0,
          findings: [],
          skipped: 'balances are snapshotted when the period closes',
        });
      return { periodId: id, periodStatus: status, counts, checks, ok: checks.every((c) => c.ok) };
    });
  }
}
