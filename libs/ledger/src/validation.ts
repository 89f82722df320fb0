import { DomainError } from '@harbour/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Input checks shared by the ledger services: each failure is an `invalid_request` naming the field. */
export function invalid(field: string, message: string): DomainError {
  return new DomainError('invalid_request', `${field}: ${message}`, { fields: [{ field, messages: [message] }] });
}

export function requireUuid(value: string, field: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw invalid(field, 'must be a UUID');
  return value.toLowerCase();
}

export function requirePence(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(field, 'must be a non-negative whole number of pence');
  return value;
}

/** Run a pure rule, turning its RangeError into `invalid_request`. */
export function rule<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RangeError) throw invalid(field, err.message);
    throw err;
  }
}
