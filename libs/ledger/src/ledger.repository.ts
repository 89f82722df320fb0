import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import type { AccountKind } from './accounts.js';
import { pence } from './money.js';
import type { PeriodId } from './periods.js';
import type { SplitMethod } from './pricing.js';

/** An agreement version as stored. Amounts are integer pence. */
export interface AgreementRow {
  readonly id: string;
  readonly projectId: string;
  readonly partnerId: string;
  readonly version: number;
  readonly currency: string;
  readonly fixedFeePerPeriodPence: number;
  readonly perQueryPence: number;
  readonly perComputeMinutePence: number;
  readonly perOutputReleasedPence: number;
  readonly perImagingStudyPence: number;
  readonly trustShareBps: number;
  readonly splitMethod: SplitMethod;
  readonly effectiveFrom: Date;
  readonly createdBy: string | null;
  readonly trusts: readonly { readonly trustId: string; readonly weight: number }[];
}

export interface AccountRow {
  readonly id: string;
  readonly kind: AccountKind;
  readonly ownerId: string;
  readonly currency: string;
}

export interface LineRow {
  readonly accountId: string;
  readonly currency: string;
  readonly debitPence: number;
  readonly creditPence: number;
}

export interface JournalRow {
  readonly id: string;
  readonly periodId: PeriodId;
  readonly kind: 'event' | 'reversal' | 'adjustment';
  readonly billableEventId: string | null;
  readonly reversesJournalId: string | null;
  readonly description: string;
  readonly createdBy: string | null;
}

export interface NewBillableEvent {
  readonly id: string;
  readonly idempotencyKey: string;
  readonly projectId: string;
  readonly partnerId: string;
  readonly agreementId: string;
  readonly kind: string;
  readonly quantity: number;
  readonly unitPricePence: number;
  readonly amountPence: number;
  readonly trustSharePence: number;
  readonly currency: string;
  readonly occurredAt: Date;
  readonly periodId: PeriodId;
  readonly auditEntryId: bigint;
}

export interface StoredBillableEvent extends NewBillableEvent {
  readonly journalId: string | null;
  readonly contributions: readonly { readonly trustId: string; readonly patients: number; readonly sharePence: number }[];
}

export interface PeriodRow {
  readonly id: PeriodId;
  readonly startsOn: string;
  readonly endsOn: string;
  readonly status: 'open' | 'closed';
  readonly closedAt: Date | null;
  readonly closedBy: string | null;
}

type Raw = Record<string, unknown>;
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toAgreement(r: Raw): AgreementRow {
  const trusts = (r['trusts'] as { trust_id: string; weight: string | number }[] | null) ?? [];
  return {
    id: str(r['id']),
    projectId: str(r['project_id']),
    partnerId: str(r['partner_id']),
    version: Number(r['version']),
    currency: str(r['currency']),
    fixedFeePerPeriodPence: pence(r['fixed_fee_per_period_pence'] as string),
    perQueryPence: pence(r['per_query_pence'] as string),
    perComputeMinutePence: pence(r['per_compute_minute_pence'] as string),
    perOutputReleasedPence: pence(r['per_output_released_pence'] as string),
    perImagingStudyPence: pence(r['per_imaging_study_pence'] as string),
    trustShareBps: Number(r['trust_share_bps']),
    splitMethod: str(r['split_method']) as SplitMethod,
    effectiveFrom: new Date(r['effective_from'] as string),
    createdBy: strOrNull(r['created_by']),
    trusts: trusts.map((t) => ({ trustId: t.trust_id, weight: Number(t.weight) })).sort((a, b) => (a.trustId < b.trustId ? -1 : 1)),
  };
}

function toPeriod(r: Raw): PeriodRow {
  return {
    id: str(r['id']),
    startsOn: str(r['starts_on']),
    endsOn: str(r['ends_on']),
    status: str(r['status']) as 'open' | 'closed',
    closedAt: r['closed_at'] ? new Date(r['closed_at'] as string) : null,
    closedBy: strOrNull(r['closed_by']),
  };
}

const PERIOD_SELECT = `SELECT id, to_char(starts_on, 'YYYY-MM-DD') AS starts_on, to_char(ends_on, 'YYYY-MM-DD') AS ends_on, status, closed_at, closed_by FROM ledger.period`;

const AGREEMENT_SELECT = `SELECT a.*, (SELECT json_agg(json_build_object('trust_id', t.trust_id, 'weight', t.weight)) FROM ledger.agreement_trust t WHERE t.agreement_id = a.id) AS trusts FROM ledger.agreement a`;

/**
 * The only code that reads or writes the ledger's agreements, periods, events and postings.
 * Multi-row writes pass arrays (`unnest`) so a posting costs a fixed number of round trips.
 * Everything runs in the caller's transaction (`Db.run`).
 */
@Injectable()
export class LedgerRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  // ---- agreements -------------------------------------------------------------------------

  async latestAgreement(projectId: string): Promise<AgreementRow | undefined> {
    const rows = await this.db.query(`${AGREEMENT_SELECT} WHERE a.project_id = $1 ORDER BY a.version DESC LIMIT 1`, [projectId]);
    return rows[0] ? toAgreement(rows[0]) : undefined;
  }

  /** The version in effect at `at`: the latest one effective at or before it. */
  async agreementAt(projectId: string, at: Date): Promise<AgreementRow | undefined> {
    const rows = await this.db.query(
      `${AGREEMENT_SELECT} WHERE a.project_id = $1 AND a.effective_from <= $2 ORDER BY a.effective_from DESC, a.version DESC LIMIT 1`,
      [projectId, at],
    );
    return rows[0] ? toAgreement(rows[0]) : undefined;
  }

  async agreementsOfPartner(partnerId: string): Promise<AgreementRow[]> {
    const rows = await this.db.query(`${AGREEMENT_SELECT} WHERE a.partner_id = $1 ORDER BY a.project_id, a.version`, [partnerId]);
    return rows.map(toAgreement);
  }

  async insertAgreement(a: AgreementRow): Promise<void> {
    await this.db.query(
      `INSERT INTO ledger.agreement (id, project_id, partner_id, version, currency, fixed_fee_per_period_pence, per_query_pence, per_compute_minute_pence,
         per_output_released_pence, per_imaging_study_pence, trust_share_bps, split_method, effective_from, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        a.id,
        a.projectId,
        a.partnerId,
        a.version,
        a.currency,
        a.fixedFeePerPeriodPence,
        a.perQueryPence,
        a.perComputeMinutePence,
        a.perOutputReleasedPence,
        a.perImagingStudyPence,
        a.trustShareBps,
        a.splitMethod,
        a.effectiveFrom,
        a.createdBy,
      ],
    );
    if (a.trusts.length > 0) {
      await this.db.query(
        `INSERT INTO ledger.agreement_trust (agreement_id, trust_id, weight) SELECT $1, t, w FROM unnest($2::uuid[], $3::bigint[]) AS x(t, w)`,
        [a.id, a.trusts.map((t) => t.trustId), a.trusts.map((t) => t.weight)],
      );
    }
  }

  // ---- periods ----------------------------------------------------------------------------

  /**
   * Hold the period open until this transaction ends (shared advisory lock: a close waits for it)
   * and read its status after the lock is granted. Undefined when the period does not exist.
   */
  async holdPeriod(id: PeriodId): Promise<'open' | 'closed' | undefined> {
    const rows = await this.db.query<{ status: 'open' | 'closed' | null }>(`SELECT ledger.hold_period($1) AS status`, [id]);
    return rows[0]?.status ?? undefined;
  }

  /**
   * Lock the period row for closing. NO KEY UPDATE, not UPDATE: postings take KEY SHARE on it
   * through their foreign keys while holding the period's advisory lock, and must not deadlock.
   */
  async lockPeriodForUpdate(id: PeriodId): Promise<PeriodRow | undefined> {
    const rows = await this.db.query(`${PERIOD_SELECT} WHERE id = $1 FOR NO KEY UPDATE`, [id]);
    return rows[0] ? toPeriod(rows[0]) : undefined;
  }

  async lastClosedPeriod(): Promise<PeriodId | undefined> {
    const rows = await this.db.query<{ id: string | null }>(`SELECT max(id) AS id FROM ledger.period WHERE status = 'closed'`);
    return rows[0]?.id ?? undefined;
  }

  async openPeriodsBefore(id: PeriodId): Promise<PeriodId[]> {
    const rows = await this.db.query<{ id: string }>(`SELECT id FROM ledger.period WHERE id < $1 AND status = 'open' ORDER BY id`, [id]);
    return rows.map((r) => r.id);
  }

  /** Create the period if missing (concurrent creators agree: ON CONFLICT DO NOTHING). */
  async ensurePeriod(id: PeriodId, startsOn: string, endsOn: string): Promise<void> {
    await this.db.query(
      `INSERT INTO ledger.period (id, starts_on, ends_on, status) VALUES ($1, $2, $3, 'open') ON CONFLICT (id) DO NOTHING`,
      [id, startsOn, endsOn],
    );
  }

  async findPeriod(id: PeriodId): Promise<PeriodRow | undefined> {
    const rows = await this.db.query(`${PERIOD_SELECT} WHERE id = $1`, [id]);
    return rows[0] ? toPeriod(rows[0]) : undefined;
  }

  async listPeriods(): Promise<PeriodRow[]> {
    return (await this.db.query(`${PERIOD_SELECT} ORDER BY id`)).map(toPeriod);
  }

  /** Close the period and snapshot each account's movement in it, in the same transaction. */
  async closePeriod(id: PeriodId, closedBy: string | null): Promise<{ accounts: number; debitPence: number; creditPence: number }> {
    await this.db.query(`UPDATE ledger.period SET status = 'closed', closed_at = now(), closed_by = $2 WHERE id = $1`, [id, closedBy]);
    const rows = await this.db.query<{ accounts: string; debit: string | null; credit: string | null }>(
      `WITH snap AS (
         INSERT INTO ledger.account_balance (period_id, account_id, debit_pence, credit_pence, line_count)
         SELECT j.period_id, l.account_id, sum(l.debit_pence), sum(l.credit_pence), count(*)
           FROM ledger.journal j JOIN ledger.line l ON l.journal_id = j.id
          WHERE j.period_id = $1
          GROUP BY j.period_id, l.account_id
         RETURNING debit_pence, credit_pence)
       SELECT count(*) AS accounts, sum(debit_pence) AS debit, sum(credit_pence) AS credit FROM snap`,
      [id],
    );
    const r = rows[0];
    return { accounts: Number(r?.accounts ?? 0), debitPence: pence(r?.debit), creditPence: pence(r?.credit) };
  }

  // ---- events and postings ----------------------------------------------------------------

  /**
   * Insert a billable event with its contributions, the accounts its postings touch and its
   * journal header in one statement. Returns false, writing nothing but missing accounts, when
   * the idempotency key is already taken (a retried or twice-delivered event).
   */
  async insertEventWithJournal(
    e: NewBillableEvent,
    contributions: readonly { trustId: string; patients: number; sharePence: number }[],
    accounts: readonly AccountRow[],
    journal: JournalRow,
  ): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `WITH e AS (
         INSERT INTO ledger.billable_event (id, idempotency_key, project_id, partner_id, agreement_id, kind, quantity, unit_price_pence, amount_pence,
           trust_share_pence, currency, occurred_at, period_id, audit_entry_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (idempotency_key) DO NOTHING
         RETURNING id),
       c AS (
         INSERT INTO ledger.event_contribution (billable_event_id, trust_id, patients, share_pence)
         SELECT e.id, x.t, x.p, x.s FROM e, unnest($15::uuid[], $16::bigint[], $17::bigint[]) AS x(t, p, s)),
       a AS (
         INSERT INTO ledger.account (id, kind, owner_id, currency)
         SELECT * FROM unnest($18::uuid[], $19::text[], $20::uuid[], $21::text[])
         ON CONFLICT DO NOTHING),
       j AS (
         INSERT INTO ledger.journal (id, period_id, kind, billable_event_id, description, created_by)
         SELECT $22, $13, 'event', e.id, $23, NULL FROM e)
       SELECT id FROM e`,
      [
        e.id,
        e.idempotencyKey,
        e.projectId,
        e.partnerId,
        e.agreementId,
        e.kind,
        e.quantity,
        e.unitPricePence,
        e.amountPence,
        e.trustSharePence,
        e.currency,
        e.occurredAt,
        e.periodId,
        e.auditEntryId.toString(),
        contributions.map((c) => c.trustId),
        contributions.map((c) => c.patients),
        contributions.map((c) => c.sharePence),
        accounts.map((a) => a.id),
        accounts.map((a) => a.kind),
        accounts.map((a) => a.ownerId),
        accounts.map((a) => a.currency),
        journal.id,
        journal.description,
      ],
    );
    return rows.length === 1;
  }

  async ensureAccounts(accounts: readonly AccountRow[]): Promise<void> {
    if (accounts.length === 0) return;
    await this.db.query(
      `INSERT INTO ledger.account (id, kind, owner_id, currency) SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[]) ON CONFLICT DO NOTHING`,
      [accounts.map((a) => a.id), accounts.map((a) => a.kind), accounts.map((a) => a.ownerId), accounts.map((a) => a.currency)],
    );
  }

  async insertJournal(j: JournalRow): Promise<void> {
    await this.db.query(
      `INSERT INTO ledger.journal (id, period_id, kind, billable_event_id, reverses_journal_id, description, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [j.id, j.periodId, j.kind, j.billableEventId, j.reversesJournalId, j.description, j.createdBy],
    );
  }

  async insertLines(journalId: string, lines: readonly LineRow[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db.query(
      `INSERT INTO ledger.line (journal_id, account_id, currency, debit_pence, credit_pence)
       SELECT $1, a, c, d, k FROM unnest($2::uuid[], $3::text[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS x(a, c, d, k, n) ORDER BY n`,
      [
        journalId,
        lines.map((l) => l.accountId),
        lines.map((l) => l.currency),
        lines.map((l) => l.debitPence),
        lines.map((l) => l.creditPence),
      ],
    );
  }

  async findEventByKey(idempotencyKey: string): Promise<StoredBillableEvent | undefined> {
    const rows = await this.db.query(
      `SELECT e.*, j.id AS journal_id,
              (SELECT json_agg(json_build_object('trust_id', c.trust_id, 'patients', c.patients, 'share_pence', c.share_pence) ORDER BY c.trust_id)
                 FROM ledger.event_contribution c WHERE c.billable_event_id = e.id) AS contributions
         FROM ledger.billable_event e LEFT JOIN ledger.journal j ON j.billable_event_id = e.id
        WHERE e.idempotency_key = $1`,
      [idempotencyKey],
    );
    const r = rows[0];
    if (!r) return undefined;
    const contributions =
      (r['contributions'] as { trust_id: string; patients: number | string; share_pence: number | string }[] | null) ?? [];
    return {
      id: str(r['id']),
      idempotencyKey: str(r['idempotency_key']),
      projectId: str(r['project_id']),
      partnerId: str(r['partner_id']),
      agreementId: str(r['agreement_id']),
      kind: str(r['kind']),
      quantity: pence(r['quantity'] as string),
      unitPricePence: pence(r['unit_price_pence'] as string),
      amountPence: pence(r['amount_pence'] as string),
      trustSharePence: pence(r['trust_share_pence'] as string),
      currency: str(r['currency']),
      occurredAt: new Date(r['occurred_at'] as string),
      periodId: str(r['period_id']),
      auditEntryId: BigInt(r['audit_entry_id'] as string),
      journalId: strOrNull(r['journal_id']),
      contributions: contributions.map((c) => ({ trustId: c.trust_id, patients: pence(c.patients), sharePence: pence(c.share_pence) })),
    };
  }

  async findJournal(id: string): Promise<(JournalRow & { lines: LineRow[]; reversedBy: string | null }) | undefined> {
    const rows = await this.db.query(
      `SELECT j.*, (SELECT r.id FROM ledger.journal r WHERE r.reverses_journal_id = j.id) AS reversed_by,
              (SELECT json_agg(json_build_object('account_id', l.account_id, 'currency', l.currency, 'debit', l.debit_pence, 'credit', l.credit_pence) ORDER BY l.id)
                 FROM ledger.line l WHERE l.journal_id = j.id) AS lines
         FROM ledger.journal j WHERE j.id = $1`,
      [id],
    );
    const r = rows[0];
    if (!r) return undefined;
    const lines = (r['lines'] as { account_id: string; currency: string; debit: string | number; credit: string | number }[] | null) ?? [];
    return {
      id: str(r['id']),
      periodId: str(r['period_id']),
      kind: str(r['kind']) as JournalRow['kind'],
      billableEventId: strOrNull(r['billable_event_id']),
      reversesJournalId: strOrNull(r['reverses_journal_id']),
      description: str(r['description']),
      createdBy: strOrNull(r['created_by']),
      reversedBy: strOrNull(r['reversed_by']),
      lines: lines.map((l) => ({
        accountId: l.account_id,
        currency: l.currency,
        debitPence: pence(l.debit),
        creditPence: pence(l.credit),
      })),
    };
  }

  /** Debits and credits per account for the journals dated in a period (the trial balance). */
  async trialBalance(periodId: PeriodId): Promise<(AccountRow & { debitPence: number; creditPence: number })[]> {
    const rows = await this.db.query(
      `SELECT a.id, a.kind, a.owner_id, a.currency, sum(l.debit_pence) AS debit, sum(l.credit_pence) AS credit
         FROM ledger.journal j JOIN ledger.line l ON l.journal_id = j.id JOIN ledger.account a ON a.id = l.account_id
        WHERE j.period_id = $1
        GROUP BY a.id ORDER BY a.kind, a.owner_id, a.currency`,
      [periodId],
    );
    return rows.map((r) => ({
      id: str(r['id']),
      kind: str(r['kind']) as AccountKind,
      ownerId: str(r['owner_id']),
      currency: str(r['currency']),
      debitPence: pence(r['debit'] as string),
      creditPence: pence(r['credit'] as string),
    }));
  }
}
