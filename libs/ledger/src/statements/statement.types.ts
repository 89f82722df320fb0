import type { PeriodId } from '../periods.js';

/** Format identifier carried in every statement (bumped on an incompatible change). */
export const STATEMENT_FORMAT = 'harbour.ledger.statement/v1';

/**
 * One invoice line (partner) or earnings line (trust): the postings of one project, event kind and
 * unit price in the period, with the usage behind them. Amounts are integer pence; a reversal in the
 * period counts negatively.
 */
export interface StatementLine {
  readonly lineNo: number;
  /** Null for manual adjustments. */
  readonly projectId: string | null;
  readonly eventKind: string;
  readonly currency: string;
  readonly unitPricePence: number | null;
  /** Net number of billable events. */
  readonly events: number;
  /** Net units (queries, compute minutes, outputs, studies, periods). */
  readonly quantity: number;
  /** Trust statements: patients this trust contributed to those events. Null on partner statements. */
  readonly patients: number | null;
  /** Fees the partner was charged for those events. */
  readonly grossPence: number;
  /** Partner: amount charged (receivable). Trust: share earned (payable). */
  readonly amountPence: number;
  /** Audit sequence range of the events behind the line; each event is listed in the events file. */
  readonly auditEntryIdFirst: string | null;
  readonly auditEntryIdLast: string | null;
}

export interface StatementTotal {
  readonly currency: string;
  readonly events: number;
  readonly grossPence: number;
  readonly amountPence: number;
}

export interface Statement {
  readonly format: typeof STATEMENT_FORMAT;
  readonly party: { readonly kind: 'partner' | 'trust'; readonly id: string; readonly name: string | null };
  readonly period: { readonly id: PeriodId; readonly startsOn: string; readonly endsOn: string; readonly status: string };
  readonly lines: readonly StatementLine[];
  readonly totals: readonly StatementTotal[];
  readonly generatedAt: string;
}

/** One row of a statement's events file: a posting line and the billable event and audit entry behind it. */
export interface StatementEvent {
  readonly lineNo: number;
  readonly journalId: string;
  readonly journalKind: string;
  readonly billableEventId: string | null;
  readonly idempotencyKey: string | null;
  readonly auditEntryId: string | null;
  readonly occurredAt: string | null;
  readonly projectId: string | null;
  readonly eventKind: string;
  readonly quantity: number;
  readonly patients: number | null;
  readonly feePence: number | null;
  readonly amountPence: number;
  readonly currency: string;
}

/** Binds the events file into the signed statement: its row count and SHA-256 (hex). */
export interface EventsDigest {
  readonly rows: number;
  readonly sha256: string;
  readonly file?: string;
}

/** Signs a statement with the station key as a JWS (compact serialisation, ES256). */
export interface StatementSigner {
  sign(payload: object): Promise<string>;
}
