/**
 * Money is integer pence (minor units) everywhere: bigint in PostgreSQL, `number` in TypeScript
 * only while it is a safe integer (|x| < 2^53, about £90 trillion), so no float ever carries money.
 */
export const DEFAULT_CURRENCY = 'GBP';

/** ISO 4217 alphabetic code. Only minor-unit-2 currencies are expected (pence, cents). */
export function assertCurrency(c: string): string {
  if (!/^[A-Z]{3}$/.test(c)) throw new RangeError(`currency must be an ISO 4217 code, got "${c}"`);
  return c;
}

/** A non-negative safe integer amount of pence, or a RangeError naming the field. */
export function assertPence(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${field} must be a non-negative whole number of pence`);
  return value;
}

/** Read a bigint column (pg returns int8 as a string) into a safe integer, refusing overflow. */
export function pence(value: string | number | bigint | null | undefined): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`amount ${String(value)} is beyond the safe integer range`);
  return n;
}

/** `1234` → `"12.34"`, `-5` → `"-0.05"`: exact, no float formatting. */
export function formatPence(p: number): string {
  const neg = p < 0;
  const abs = Math.abs(p);
  const s = `${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  return neg ? `-${s}` : s;
}
