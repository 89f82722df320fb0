import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { pence } from './money.js';
import type { PeriodId } from './periods.js';

export interface Finding {
  readonly ref: string;
  readonly detail: string;
}

const LIMIT = 100;

/**
 * Reconciliation queries: each recomputes one invariant of a period from the raw rows and returns
 * the rows that break it (at most 100, with the total count). Read-only.
 */
@Injectable()
export class ReconciliationRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async useSnapshot(): Promise<void> {
    await this.db.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
  }

  async counts(periodId: PeriodId): Promise<{ events: number; journals: number; lines: number; debitPence: number; creditPence: number }> {
    const rows = await this.db.query(
      `SELECT (SELECT count(*) FROM ledger.billable_event WHERE period_id = $1) AS events,
              (SELECT count(*) FROM ledger.journal WHERE period_id = $1) AS journals,
              count(l.id) AS lines, coalesce(sum(l.debit_pence), 0) AS debit, coalesce(sum(l.credit_pence), 0) AS credit
         FROM ledger.journal j JOIN ledger.line l ON l.journal_id = j.id WHERE j.period_id = $1`,
      [periodId],
    );
    const r = rows[0] ?? {};
    return {
      events: pence(r['events'] as string),
      journals: pence(r['journals'] as string),
      lines: pence(r['lines'] as string),
      debitPence: pence(r['debit'] as string),
      creditPence: pence(r['credit'] as string),
    };
  }

  private async findings(sql: string, periodId: PeriodId): Promise<{ total: number; items: Finding[] }> {
    const rows = await this.db.query<{ ref: string; detail: string; total: string }>(
      `SELECT ref, detail, count(*) OVER () AS total FROM (${sql}) f ORDER BY ref LIMIT ${LIMIT}`,
      [periodId],
    );
    return { total: Number(rows[0]?.total ?? 0), items: rows.map((r) => ({ ref: r.ref, detail: r.detail })) };
  }

  /** Billable events of the period without their posting journal (or posted in another period). */
  eventsWithoutPostings(periodId: PeriodId): Promise<{ total: number; items: Finding[] }> {
    return this.findings(
      `SELECT e.id::text AS ref,
              CASE WHEN j.id IS NULL THEN 'billable event ' || e.idempotency_key || ' (audit ' || e.audit_entry_id || ') has no posting'
                   ELSE 'billable event ' || e.idempotency_key || ' is posted in ' || j.period_id END AS detail
         FROM ledger.billable_event e LEFT JOIN ledger.journal j ON j.billable_event_id = e.id
        WHERE e.period_id = $1 AND (j.id IS NULL OR j.period_id <> e.period_id)`,
      periodId,
    );
  }

  /** Journals of the period that should have an event or original journal and do not. */
  postingsWithoutEvents(periodId: PeriodId): Promise<{ total: number; items: Finding[] }> {
    return this.findings(
      `SELECT j.id::text AS ref, 'event journal without its billable event in this period' AS detail
         FROM ledger.journal j LEFT JOIN ledger.billable_event e ON e.id = j.billable_event_id
        WHERE j.period_id = $1 AND j.kind = 'event' AND (e.id IS NULL OR e.period_id <> j.period_id)
       UNION ALL
       SELECT j.id::text, 'reversal without the journal it reverses'
         FROM ledger.journal j LEFT JOIN ledger.journal o ON o.id = j.reverses_journal_id
        WHERE j.period_id = $1 AND j.kind = 'reversal' AND o.id IS NULL`,
      periodId,
    );
  }

  /**
   * Event journals whose lines differ from what the event's recorded amounts require: receivable
   * debit = fee, each trust payable credit = its recorded share, station revenue credit = the rest.
   * Expected and actual lines are compared as multisets (EXCEPT ALL both ways).
   */
  eventPostingsMismatched(periodId: PeriodId): Promise<{ total: number; items: Finding[] }> {
    return this.findings(
      `WITH ev AS (
         SELECT j.id AS journal_id, e.* FROM ledger.journal j JOIN ledger.billable_event e ON e.id = j.billable_event_id
          WHERE j.period_id = $1 AND j.kind = 'event'),
       expected AS (
         SELECT journal_id, 'partner_receivable'::text AS kind, partner_id AS owner_id, currency, amount_pence AS debit, 0::bigint AS credit FROM ev WHERE amount_pence > 0
         UNION ALL
         SELECT ev.journal_id, 'trust_payable', c.trust_id, ev.currency, 0, c.share_pence FROM ev JOIN ledger.event_contribution c ON c.billable_event_id = ev.id WHERE c.share_pence > 0
         UNION ALL
         SELECT journal_id, 'station_revenue', '00000000-0000-0000-0000-000000000000'::uuid, currency, 0, amount_pence - trust_share_pence FROM ev WHERE amount_pence > trust_share_pence),
       actual AS (
         SELECT l.journal_id, a.kind, a.owner_id, l.currency, l.debit_pence AS debit, l.credit_pence AS credit
           FROM ev JOIN ledger.line l ON l.journal_id = ev.journal_id JOIN ledger.account a ON a.id = l.account_id),
       missing AS (SELECT * FROM expected EXCEPT ALL SELECT * FROM actual),
       extra AS (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected)
       SELECT journal_id::text AS ref, 'missing line: ' || kind || ' ' || owner_id || ' debit ' || debit || ' credit ' || credit || ' ' || currency AS detail FROM missing
       UNION ALL
       SELECT journal_id::text, 'unexpected line: ' || kind || ' ' || owner_id || ' debit ' || debit || ' credit ' || credit || ' ' || currency FROM extra
       UNION ALL
       SELECT ev.journal_id::text, 'event ' || ev.idempotency_key || ': trust share ' || ev.trust_share_pence || ' but contributions share ' || coalesce(s.total, 0)
         FROM ev LEFT JOIN (SELECT billable_event_id, sum(share_pence) AS total FROM ledger.event_contribution GROUP BY billable_event_id) s ON s.billable_event_id = ev.id
        WHERE coalesce(s.total, 0) <> ev.trust_share_pence`,
      periodId,
    );
  }

  /** Reversal journals of the period whose lines are not the mirror image of the original's. */
  reversalsMismatched(periodId: PeriodId): Promise<{ total: number; items: Finding[] }> {
    return this.findings(
      `WITH r AS (SELECT id, reverses_journal_id FROM ledger.journal WHERE period_id = $1 AND kind = 'reversal'),
       expected AS (SELECT r.id AS journal_id, l.account_id, l.currency, l.credit_pence AS debit, l.debit_pence AS credit FROM r JOIN ledger.line l ON l.journal_id = r.reverses_journal_id),
       actual AS (SELECT r.id AS journal_id, l.account_id, l.currency, l.debit_pence, l.credit_pence FROM r JOIN ledger.line l ON l.journal_id = r.id),
       diff AS ((SELECT * FROM expected EXCEPT ALL SELECT * FROM actual) UNION ALL (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected))
       SELECT DISTINCT journal_id::text AS ref, 'reversal does not mirror the journal it reverses' AS detail FROM diff`,
      periodId,
    );
  }

  /** Journals of the period whose debits and credits differ (per currency). */
  unbalancedJournals(periodId: PeriodId): Promise<{ total: number; items: Finding[] }> {
    return this.findings(
      `SELECT j.id::text AS ref, l.currency || ': debits ' || sum(l.debit_pence) || ' <> credits ' || sum(l.credit_pence) AS detail
         FROM ledger.journal j JOIN ledger.line l ON l.journal_id = j.id
        WHERE j.period_id = $1
        GROUP BY j.id, l.currency HAVING sum(l.debit_pence) <> sum(l.credit_pence)`,
      periodId,
    );
  }

  /** Lines of the period in a currency other than their account's. */
  currencyMismatches(periodId: PeriodId): Promise<{ total: number; items: Finding[] }> {
    return this.findings(
      `SELECT l.id::text AS ref, 'line in ' || l.currency || ' on an account in ' || a.currency AS detail
         FROM ledger.journal j JOIN ledger.line l ON l.journal_id = j.id JOIN ledger.account a ON a.id = l.account_id
        WHERE j.period_id = $1 AND a.currency <> l.currency`,
      periodId,
    );
  }

  /** Closed periods: each account's balance snapshot against the sum of its lines now. */
  balancesMismatched(periodId: PeriodId): Promise<{ total: number; items: Finding[] }> {
    return this.findings(
      `WITH now_ AS (
         SELECT l.account_id, sum(l.debit_pence) AS debit, sum(l.credit_pence) AS credit, count(*) AS n
           FROM ledger.journal j JOIN ledger.line l ON l.journal_id = j.id WHERE j.period_id = $1 GROUP BY l.account_id),
       snap AS (SELECT account_id, debit_pence AS debit, credit_pence AS credit, line_count AS n FROM ledger.account_balance WHERE period_id = $1)
       SELECT coalesce(s.account_id, n.account_id)::text AS ref,
              'balance at close: debit ' || coalesce(s.debit, 0) || ' credit ' || coalesce(s.credit, 0) || ' lines ' || coalesce(s.n, 0) ||
              '; sum of lines now: debit ' || coalesce(n.debit, 0) || ' credit ' || coalesce(n.credit, 0) || ' lines ' || coalesce(n.n, 0) AS detail
         FROM snap s FULL JOIN now_ n ON n.account_id = s.account_id
        WHERE s.debit IS DISTINCT FROM n.debit OR s.credit IS DISTINCT FROM n.credit OR s.n IS DISTINCT FROM n.n`,
      periodId,
    );
  }

  async periodStatus(periodId: PeriodId): Promise<'open' | 'closed' | undefined> {
    const rows = await this.db.query<{ status: 'open' | 'closed' }>(`SELECT status FROM ledger.period WHERE id = $1`, [periodId]);
    return rows[0]?.status;
  }
}
