/**
 * Date shifting shared by DICOM (DA/DT/TM) and FHIR (date/dateTime/instant).
 * Shifting is by whole days in the proleptic Gregorian calendar (UTC arithmetic, so no DST
 * artefacts); times of day and time zones are kept, so intervals between any two events of one
 * patient survive exactly.
 */
const MS_PER_DAY = 86_400_000;

function isRealDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** Shift a year-month-day triple by whole days. */
export function shiftYmd(y: number, m: number, d: number, days: number): { y: number; m: number; d: number } {
  const t = Date.UTC(y, m - 1, d) + days * MS_PER_DAY;
  const dt = new Date(t);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/**
 * Shift a DICOM DA value (YYYYMMDD, PS3.5 Table 6.2-1). Returns undefined when the value is not a
 * real calendar date, so callers can fail closed (remove or reject) instead of passing it through.
 */
export function shiftDicomDate(value: string, days: number): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isRealDate(y, mo, d)) return undefined;
  const s = shiftYmd(y, mo, d, days);
  return `${pad(s.y, 4)}${pad(s.m, 2)}${pad(s.d, 2)}`;
}

/**
 * Shift the date part of a DICOM DT value (YYYYMMDDHHMMSS.FFFFFF&ZZXX, any trailing part optional);
 * year-only or year-month DTs are shifted by their first day and truncated back to the same precision.
 */
export function shiftDicomDateTime(value: string, days: number): string | undefined {
  const v = value.trim();
  const m = /^(\d{4})(\d{2})?(\d{2})?(.*)$/.exec(v);
  if (!m) return undefined;
  const rest = m[4] ?? '';
  if (rest && !/^(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?([+-]\d{4})?$/.test(rest)) return undefined;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : 1;
  const d = m[3] ? Number(m[3]) : 1;
  if (!isRealDate(y, mo, d)) return undefined;
  const s = shiftYmd(y, mo, d, days);
  let out = pad(s.y, 4);
  if (m[2]) out += pad(s.m, 2);
  if (m[3]) out += pad(s.d, 2);
  return out + rest;
}

/**
 * Shift a FHIR date, dateTime or instant (FHIR R4 §2.24 primitive types): YYYY, YYYY-MM, YYYY-MM-DD,
 * or YYYY-MM-DDThh:mm:ss(.sss)(Z|±hh:mm). Partial dates keep their precision. Returns undefined
 * for values that are not valid FHIR dates or not real calendar dates.
 */
export function shiftFhirDate(value: string, days: number): string | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(value);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : 1;
  const d = m[3] ? Number(m[3]) : 1;
  if (!isRealDate(y, mo, d)) return undefined;
  if (!m[2] || !m[3]) {
    // Year or year-month precision: shifting by days could move it across a boundary by chance;
    // shift the first day and keep the original precision.
    const s = shiftYmd(y, mo, d, days);
    return m[2] ? `${pad(s.y, 4)}-${pad(s.m, 2)}` : pad(s.y, 4);
  }
  const s = shiftYmd(y, mo, d, days);
  return `${pad(s.y, 4)}-${pad(s.m, 2)}-${pad(s.d, 2)}${m[4] ?? ''}`;
}
