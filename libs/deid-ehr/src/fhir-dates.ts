import { shiftFhirDate } from '@harbour/pseudonymisation';

/**
 * FHIR R4 date, dateTime and instant (§2.24.0.1 primitive types).
 * The R4 regexes require seconds and a zone whenever a time is present; real extracts often drop
 * them, so the time part is checked for range but seconds and zone stay optional (the same shape
 * `shiftFhirDate` accepts). The calendar check is strict: 2023-02-30 or 2023-13-01 is refused.
 */
const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-](\d{2}):(\d{2}))?)?)?)?$/;

/** Anything shaped like a year-month or fuller date: checked wherever it appears in a resource. */
const DATE_SHAPED = /^\d{4}-\d{2}(?:-\d{2})?(?:T.*)?$/;

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m]!;
}

/** True for a valid FHIR date/dateTime/instant naming a real calendar day and time. */
export function isValidFhirDate(value: string): boolean {
  const m = FHIR_DATE.exec(value);
  if (!m) return false;
  const y = Number(m[1]);
  if (y < 1) return false;
  if (m[2] === undefined) return true;
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) return false;
  if (m[3] === undefined) return true;
  const d = Number(m[3]);
  if (d < 1 || d > daysInMonth(y, mo)) return false;
  if (m[4] === undefined) return true;
  // R4 time: hh 00-23, mm 00-59, ss 00-60 (leap second); zone ±00:00..14:00.
  if (Number(m[4]) > 23 || Number(m[5]) > 59) return false;
  if (m[6] !== undefined && Number(m[6]) > 60) return false;
  if (m[8] !== undefined && (Number(m[8]) > 14 || Number(m[9]) > 59)) return false;
  return true;
}

/** True when a string looks like a date and should therefore be a valid one. */
export function looksLikeDate(value: string): boolean {
  return DATE_SHAPED.test(value);
}

/**
 * Find the first date-shaped string anywhere in a JSON value that is not a real date.
 * Returns the element name it was found under (safe to report: a name, never the value).
 */
export function findInvalidDate(value: unknown, key = ''): string | undefined {
  if (typeof value === 'string') {
    return value.length >= 7 && value.length <= 40 && looksLikeDate(value) && !isValidFhirDate(value) ? key : undefined;
  }
  if (Array.isArray(value)) {
    for (const v of value) {
      const bad = findInvalidDate(v, key);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const k in value as Record<string, unknown>) {
      const bad = findInvalidDate((value as Record<string, unknown>)[k], k);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

/** Shift a FHIR date by whole days, refusing anything that is not a real date. */
export function shiftDate(value: string, days: number): string | undefined {
  if (!isValidFhirDate(value)) return undefined;
  return shiftFhirDate(value, days);
}

/** The four-digit year of a FHIR date. */
export function yearOf(value: string): number | undefined {
  const m = /^(\d{4})/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/**
 * Normalise a CSV date to FHIR form. Accepts ISO (YYYY-MM-DD, with optional time) and the UK
 * day-first forms DD/MM/YYYY and DD-MM-YYYY (optionally followed by HH:MM[:SS]); never US
 * month-first. Returns undefined when the value is not a real date.
 */
export function normaliseCsvDate(raw: string): string | undefined {
  const v = raw.trim();
  if (isValidFhirDate(v)) return v;
  const iso = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)$/.exec(v);
  if (iso) {
    const out = `${iso[1]}T${iso[2]!.length === 5 ? `${iso[2]}:00` : iso[2]}`;
    return isValidFhirDate(out) ? out : undefined;
  }
  const uk = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
  if (uk) {
    const date = `${uk[3]}-${uk[2]!.padStart(2, '0')}-${uk[1]!.padStart(2, '0')}`;
    const out = uk[4] !== undefined ? `${date}T${uk[4]}:${uk[5]}:${uk[6] ?? '00'}` : date;
    return isValidFhirDate(out) ? out : undefined;
  }
  return undefined;
}
