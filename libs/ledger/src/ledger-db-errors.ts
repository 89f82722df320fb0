import { DomainError, type ErrorCode } from '@harbour/errors';

/**
 * SQLSTATEs raised by the ledger's triggers (see the ledger migration) and by PostgreSQL, mapped
 * to domain codes, so a rule enforced by the database reads the same as one enforced by a service.
 */
const LEDGER_SQLSTATES: Readonly<Record<string, ErrorCode>> = {
  HL001: 'period_closed',
  HL002: 'unbalanced_posting',
  HL003: 'conflict',
  HL004: 'invalid_request',
  HL005: 'invalid_transition',
  '23505': 'conflict', // unique_violation: e.g. a journal reversed twice concurrently
};

export function sqlStateOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.code ?? e.driverError?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The domain error for a ledger database failure, or the error itself when it is not ours. */
export function mapLedgerDbError(err: unknown): unknown {
  if (err instanceof DomainError) return err;
  const state = sqlStateOf(err);
  const code = state ? LEDGER_SQLSTATES[state] : undefined;
  if (!code) return err;
  const message = err instanceof Error ? (err.message.split('\n')[0] ?? code) : code;
  return new DomainError(code, message);
}
