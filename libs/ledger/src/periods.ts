/**
 * Accounting periods are calendar months in UTC, named `YYYY-MM` (ISO 8601 year-month), so that
 * they sort as text in the same order as in time. UTC because postings from processes in any time
 * zone must land in the same period.
 */
const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/;

export type PeriodId = string;

export function isPeriodId(s: string): boolean {
  return PERIOD.test(s);
}

export function assertPeriodId(s: string): PeriodId {
  if (!isPeriodId(s)) throw new RangeError(`period must be YYYY-MM, got "${s}"`);
  return s;
}

/** The period a moment falls in. */
export function periodOf(at: Date): PeriodId {
  return `${String(at.getUTCFullYear()).padStart(4, '0')}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** First instant of the period and first instant of the next one (half-open interval). */
export function periodBounds(id: PeriodId): { start: Date; end: Date } {
  const m = PERIOD.exec(id);
  if (!m) throw new RangeError(`period must be YYYY-MM, got "${id}"`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return { start: new Date(Date.UTC(y, mo, 1)), end: new Date(Date.UTC(y, mo + 1, 1)) };
}

export function nextPeriod(id: PeriodId): PeriodId {
  return periodOf(periodBounds(id).end);
}

/** `YYYY-MM-DD` of a UTC date (PostgreSQL `date` literal). */
export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}
