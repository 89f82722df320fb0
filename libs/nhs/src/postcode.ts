/**
 * UK postcodes: the outward code (area + district, e.g. "LS1" of "LS1 4AP") is the generalisation
 * Harbour keeps. Outward codes with small populations are a known re-identification risk;
 * the EHR profile may generalise further to the area (letters only).
 */
const FULL = /^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$/;
const OUTWARD_ONLY = /^([A-Z]{1,2}\d[A-Z\d]?)$/;

/** The outward code of a UK postcode, or undefined if it is not one. */
export function postcodeOutward(input: string): string | undefined {
  const s = input.toUpperCase().replace(/\s+/g, ' ').trim();
  const full = FULL.exec(s.replace(/\s/g, '').replace(/^(.+)(\d[A-Z]{2})$/, '$1 $2'));
  if (full) return full[1];
  const out = OUTWARD_ONLY.exec(s);
  return out ? out[1] : undefined;
}

/** The postcode area (leading letters), the coarser generalisation. */
export function postcodeArea(input: string): string | undefined {
  const outward = postcodeOutward(input);
  return outward?.match(/^[A-Z]{1,2}/)?.[0];
}

/** Pattern for finding postcodes inside free text (scrubbing). */
export const POSTCODE_IN_TEXT = /\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b/gi;
