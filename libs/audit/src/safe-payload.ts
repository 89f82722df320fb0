import { canonicalNhsNumber } from '@harbour/nhs';
import { DomainError } from '@harbour/errors';

/**
 * Audit payload values are ids, codes, enumerations, counts and flags. A string with spaces, more
 * than 128 characters, or that reads as an NHS number is refused: the trail must never carry
 * patient identifiers, names or free text, and this check catches a careless caller in tests.
 */
const SAFE_STRING = /^[A-Za-z0-9._:@/+*#=-]{0,128}$/;

export function assertSafeAuditValue(value: unknown, path = 'payload', depth = 0): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw unsafe(path);
    return;
  }
  if (typeof value === 'string') {
    if (!SAFE_STRING.test(value) || canonicalNhsNumber(value) !== undefined) throw unsafe(path);
    return;
  }
  if (depth < 3 && Array.isArray(value)) {
    value.forEach((v, i) => assertSafeAuditValue(v, `${path}[${i}]`, depth + 1));
    return;
  }
  if (depth < 3 && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(k)) throw unsafe(path);
      if (v !== undefined) assertSafeAuditValue(v, `${path}.${k}`, depth + 1);
    }
    return;
  }
  throw unsafe(path);
}

function unsafe(path: string): DomainError {
  // An internal programming error; the message names the field, never the value.
  return new DomainError('internal_error', `audit value at ${path} is not an id, code or count`);
}
