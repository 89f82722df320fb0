import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { pence } from '../money.js';
import type { PeriodId } from '../periods.js';

/** Whose statement: a partner (its receivable) or a trust (its payable). */
export type StatementParty =
  { readonly kind: 'partner'; readonly partnerId: string } | { readonly kind: 'trust'; readonly trustId: string };

export const partyAccountKind = (p: StatementParty): 'partner_receivable' | 'trust_payable' =>
  p.kind === 'partner' ? 'partner_receivable' : 'trust_payable';
export const partyId = (p: StatementParty): string => (p.kind === 'partner' ? p.partnerId : p.trustId);

/** The grouping of a statement line: one per project, event kind, unit price and currency. */
export interface LineKey {
  readonly accountKind: 'partner_receivable' | 'trust_payable';
  readonly ownerId: string;
  readonly currency: string;
  readonly projectId: string | null;
  readonly eventKind: string;
  readonly unitPricePence: number | null;
}

export interface SummaryRow extends LineKey {
  /** Net count of billable events (a reversal counts −1). */
  readonly events: number;
  readonly quantity: number;
  readonly patients: number;
  readonly grossPence: number;
  readonly debitPence: number;
  readonly creditPence: number;
  readonly auditEntryIdFirst: string | null;
  readonly auditEntryIdLast: string | null;
}

export interface DetailRow extends LineKey {
  readonly journalId: string;
  readonly journalKind: string;
  readonly billableEventId: string | null;
  readonly idempotencyKey: string | null;
  readonly auditEntryId: string | null;
  readonly occurredAt: string | null;
  readonly quantity: number;
  readonly patients: number | null;
  readonly feePence: number | null;
  readonly debitPence: number;
  readonly creditPence: number;
}

export const lineKeyOf = (k: LineKey): string =>
  [k.accountKind, k.ownerId, k.currency, k.projectId ?? '', k.eventKind, k.unitPricePence ?? ''].join('|');

// Each posting line on a partner receivable or trust payable in the period, with the billable event
// behind it (a reversal points at it through the journal it reverses) and, for a trust, its contribution.
const FROM = `
  FROM ledger.journal j
  JOIN ledger.line l ON l.journal_id = j.id
  JOIN ledger.account a ON a.id = l.account_id
  LEFT JOIN ledger.journal oj ON oj.id = j.reverses_journal_id
  LEFT JOIN ledger.billable_event e ON e.id = COALESCE(j.billable_event_id, oj.billable_event_id)
  LEFT JOIN ledger.event_contribution c ON c.billable_event_id = e.id AND a.kind = 'trust_payable' AND c.trust_id = a.owner_id
 WHERE j.period_id = $1 AND a.kind IN ('partner_receivable', 'trust_payable') AND ($2::text IS NULL OR a.kind = $2) AND ($3::uuid IS NULL OR a.owner_id = $3)`;
const KEY = `a.kind, a.owner_id, l.currency, e.project_id, COALESCE(e.kind, 'adjustment'), e.unit_price_pence`;
const SIGN = `CASE WHEN j.kind = 'reversal' THEN -1 ELSE 1 END`;

type Raw = Record<string, unknown>;
const keyOf = (r: Raw): LineKey => ({
  accountKind: r['account_kind'] as LineKey['accountKind'],
  ownerId: String(r['owner_id']),
  currency: String(r['currency']),
  projectId: r['project_id'] === null ? null : String(r['project_id']),
  eventKind: String(r['event_kind']),
  unitPricePence: r['unit_price_pence'] === null ? null : pence(r['unit_price_pence'] as string),
});

/** Statement queries: read-only aggregates and a cursor over the detail of a period. */
@Injectable()
export class StatementRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /**
   * Make the current (new) transaction a read-only snapshot, so a statement's summary and its
   * detail are taken from the same state even while postings continue in an open period.
   */
  async useSnapshot(): Promise<void> {
    await this.db.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`);
    // The detail is sorted by statement line; give the sort room before it spills to disk.
    await this.db.query(`SET LOCAL work_mem = '128MB'`);
  }

  async summary(periodId: PeriodId, party?: { accountKind: string; ownerId: string }): Promise<SummaryRow[]> {
    const rows = await this.db.query(
      `SELECT a.kind AS account_kind, a.owner_id, l.currency, e.project_id, COALESCE(e.kind, 'adjustment') AS event_kind, e.unit_price_pence,
              coalesce(sum(${SIGN}) FILTER (WHERE e.id IS NOT NULL), 0) AS events,
              coalesce(sum(${SIGN} * e.quantity), 0) AS quantity,
              coalesce(sum(${SIGN} * c.patients), 0) AS patients,
              coalesce(sum(${SIGN} * e.amount_pence), 0) AS gross,
              sum(l.debit_pence) AS debit, sum(l.credit_pence) AS credit,
              min(e.audit_entry_id)::text AS id_first, max(e.audit_entry_id)::text AS id_last
       ${FROM}
       GROUP BY ${KEY}
       ORDER BY ${KEY}`,
      [periodId, party?.accountKind ?? null, party?.ownerId ?? null],
    );
    return rows.map((r) => ({
      ...keyOf(r),
      events: pence(r['events'] as string),
      quantity: pence(r['quantity'] as string),
      patients: pence(r['patients'] as string),
      grossPence: pence(r['gross'] as string),
      debitPence: pence(r['debit'] as string),
      creditPence: pence(r['credit'] as string),
      auditEntryIdFirst: (r['id_first'] as string | null) ?? null,
      auditEntryIdLast: (r['id_last'] as string | null) ?? null,
    }));
  }

  /**
   * Stream the detail rows (one per posting line) in statement order through a server-side
   * cursor, `batchSize` at a time, so a period of millions of events never sits in memory.
   * Must run inside a transaction (cursors live in one).
   */
  async streamDetail(
    periodId: PeriodId,
    party: { accountKind: string; ownerId: string } | undefined,
    batchSize: number,
    onBatch: (rows: DetailRow[]) => Promise<void>,
  ): Promise<void> {
    const cursor = `ledger_statement_${Math.random().toString(36).slice(2, 10)}`;
    await this.db.query(
      `DECLARE ${cursor} NO SCROLL CURSOR FOR
       SELECT a.kind AS account_kind, a.owner_id, l.currency, e.project_id, COALESCE(e.kind, 'adjustment') AS event_kind, e.unit_price_pence,
              j.id AS journal_id, j.kind AS journal_kind, e.id AS event_id, e.idempotency_key, e.audit_entry_id::text AS audit_entry_id,
              to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS occurred_at,
              ${SIGN} * coalesce(e.quantity, 0) AS quantity, ${SIGN} * c.patients AS patients, ${SIGN} * e.amount_pence AS fee,
              l.debit_pence, l.credit_pence
       ${FROM}
       ORDER BY ${KEY}, e.audit_entry_id, l.id`,
      [periodId, party?.accountKind ?? null, party?.ownerId ?? null],
    );
    for (;;) {
      const rows = await this.db.query(`FETCH FORWARD ${Math.max(1, Math.floor(batchSize))} FROM ${cursor}`);
      if (rows.length === 0) break;
      await onBatch(
        rows.map((r) => ({
          ...keyOf(r),
          journalId: String(r['journal_id']),
          journalKind: String(r['journal_kind']),
          billableEventId: (r['event_id'] as string | null) ?? null,
          idempotencyKey: (r['idempotency_key'] as string | null) ?? null,
          auditEntryId: (r['audit_entry_id'] as string | null) ?? null,
          occurredAt: (r['occurred_at'] as string | null) ?? null,
          quantity: pence(r['quantity'] as string),
          patients: r['patients'] === null ? null : pence(r['patients'] as string),
          feePence: r['fee'] === null ? null : pence(r['fee'] as string),
          debitPence: pence(r['debit_pence'] as string),
          creditPence: pence(r['credit_pence'] as string),
        })),
      );
    }
    await this.db.query(`CLOSE ${cursor}`);
  }

  /**
   * Display names of the parties (identity context; read-only lookup for people-facing output).
   */
  async partyNames(partnerIds: readonly string[], trustIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db.query<{ id: string; name: string }>(
      `SELECT id::text, name FROM identity.partner WHERE id = ANY($1::uuid[])
       UNION ALL SELECT id::text, name || ' (' || ods_code || ')' FROM identity.trust WHERE id = ANY($2::uuid[])`,
      [partnerIds, trustIds],
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async periodInfo(periodId: PeriodId): Promise<{ startsOn: string; endsOn: string; status: string } | undefined> {
    const rows = await this.db.query<{ starts_on: string; ends_on: string; status: string }>(
      `SELECT to_char(starts_on, 'YYYY-MM-DD') AS starts_on, to_char(ends_on, 'YYYY-MM-DD') AS ends_on, status FROM ledger.period WHERE id = $1`,
      [periodId],
    );
    const r = rows[0];
    return r ? { startsOn: r.starts_on, endsOn: r.ends_on, status: r.status } : undefined;
  }
}
