import { canonicalNhsNumber, isNhsNumberSystem, POSTCODE_IN_TEXT } from '@harbour/nhs';
import { isObject, type FhirResource } from './fhir-types.js';

/**
 * Identifiers known for one patient, gathered from their Patient record or CSV row in pass 1 and
 * used to scrub free text when the profile keeps it. Held only when scrubbing is on.
 */
export interface KnownIdentifiers {
  names: string[];
  nhsNumber?: string;
  /** Local identifiers (MRN, hospital number) as written. */
  ids: string[];
  addressParts: string[];
  phones: string[];
  emails: string[];
  postcodes: string[];
}

export function emptyKnown(): KnownIdentifiers {
  return { names: [], ids: [], addressParts: [], phones: [], emails: [], postcodes: [] };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** All name strings of FHIR HumanName values: full text, and each given/family part. */
export function humanNameParts(names: unknown): string[] {
  const out: string[] = [];
  for (const n of arr(names)) {
    if (!isObject(n)) continue;
    const text = str(n.text);
    if (text) out.push(text);
    const family = str(n.family);
    if (family) out.push(family);
    for (const g of arr(n.given)) {
      const s = str(g);
      if (s) out.push(s);
    }
    for (const p of [...arr(n.prefix), ...arr(n.suffix)]) {
      const s = str(p);
      if (s && s.length > 3) out.push(s);
    }
  }
  return out;
}

function addTelecom(known: KnownIdentifiers, telecom: unknown): void {
  for (const t of arr(telecom)) {
    if (!isObject(t)) continue;
    const v = str(t.value);
    if (!v) continue;
    if (t.system === 'email' || v.includes('@')) known.emails.push(v);
    else known.phones.push(v);
  }
}

function addAddress(known: KnownIdentifiers, address: unknown): void {
  for (const a of arr(address)) {
    if (!isObject(a)) continue;
    for (const l of arr(a.line)) {
      const s = str(l);
      if (s) known.addressParts.push(s);
    }
    for (const k of ['text', 'city', 'district', 'state'] as const) {
      const s = str(a[k]);
      if (s) known.addressParts.push(s);
    }
    const pc = str(a.postalCode);
    if (pc) known.postcodes.push(pc);
  }
}

/** Identifiers of a FHIR Patient (names, contacts' names, NHS number, MRNs, telecom, address). */
export function collectPatientIdentifiers(patient: FhirResource, nhsNumber?: string): KnownIdentifiers {
  const known = emptyKnown();
  known.nhsNumber = nhsNumber;
  known.names.push(...humanNameParts(patient.name));
  addTelecom(known, patient.telecom);
  addAddress(known, patient.address);
  for (const id of arr(patient.identifier)) {
    if (!isObject(id) || isNhsNumberSystem(id.system)) continue;
    const v = str(id.value);
    if (v) known.ids.push(v);
  }
  for (const c of arr(patient.contact)) {
    if (!isObject(c)) continue;
    known.names.push(...humanNameParts(c.name));
    addTelecom(known, c.telecom);
    addAddress(known, c.address);
  }
  return known;
}

/** Identifiers from a CSV patient row (normalised column names). */
export function collectCsvIdentifiers(
  row: Record<string, string>,
  nhsNumber: string,
  columns: {
    names: string[];
    ids: string[];
    address: string[];
    phones: string[];
    emails: string[];
    postcode?: string;
  },
): KnownIdentifiers {
  const known = emptyKnown();
  known.nhsNumber = nhsNumber;
  const get = (c: string): string | undefined => str(row[c]);
  for (const c of columns.names) {
    const v = get(c);
    if (v) known.names.push(v, ...v.split(/\s+/));
  }
  for (const c of columns.ids) if (get(c)) known.ids.push(get(c)!);
  for (const c of columns.address) if (get(c)) known.addressParts.push(get(c)!);
  for (const c of columns.phones) if (get(c)) known.phones.push(get(c)!);
  for (const c of columns.emails) if (get(c)) known.emails.push(get(c)!);
  if (columns.postcode && get(columns.postcode)) known.postcodes.push(get(columns.postcode)!);
  return known;
}

// ---- patterns -----------------------------------------------------------------------------

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** NHS numbers as people write them: ten digits, optionally 3-3-4 with spaces or dashes. */
const NHS_IN_TEXT = /(?<![\d])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d])/g;
/**
 * UK telephone numbers (Ofcom numbering: 0 + 9 or 10 digits; +44 / 0044 international forms;
 * brackets around the area code, spaces or dashes between groups).
 */
const UK_PHONE = /(?<![\w+])(?:\+44\s?(?:\(0\)\s?)?|0044\s?|\(?0)\d(?:[\s)-]{0,2}\d){8,9}(?!\d)/g;
const POSTCODE = new RegExp(POSTCODE_IN_TEXT.source, 'gi');
const MONTH =
  '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const DATES = [
  /\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\b/g,
  /\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b/g,
  new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}\\.?,?\\s+\\d{2,4}\\b`, 'gi'),
  new RegExp(`\\b${MONTH}\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{2,4}\\b`, 'gi'),
  new RegExp(`\\b${MONTH}\\.?\\s+\\d{4}\\b`, 'gi'),
];
/** A title followed by capitalised words is a person's name even when we were not told it. */
const TITLED_NAME = /\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sister|Rev)\.?\s+[A-Z][A-Za-z'’-]+(?:\s+[A-Z][A-Za-z'’-]+)?/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A phone number or NHS number written with any separators: digits with optional non-digits between. */
function digitsPattern(value: string): string | undefined {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 6) return undefined;
  const d = digits.startsWith('44') ? digits.slice(2) : digits.startsWith('0') ? digits.slice(1) : digits;
  return `(?:\\+?44\\s?(?:\\(0\\)\\s?)?|\\(?0)?${d.split('').join('[\\s\\-().]{0,2}')}`;
}

export type Scrubber = (text: string) => string;

/**
 * Build a scrubber for one patient's record. Known values are removed wherever they occur (case
 * insensitive, whole words); then generic patterns remove any NHS number, UK phone number, email,
 * postcode, written date and titled name that remains. Replacement tokens say what was removed.
 */
export function makeScrubber(known: KnownIdentifiers | undefined, extraNames: readonly string[] = []): Scrubber {
  const literalAlternatives: { source: string; token: string }[] = [];
  const add = (values: readonly string[], token: string, minLength = 2): void => {
    for (const v of values) {
      const s = v.trim();
      if (s.length >= minLength) literalAlternatives.push({ source: escapeRegExp(s).replace(/\s+/g, '\\s+'), token });
    }
  };
  const digitAlternatives: { source: string; token: string }[] = [];
  if (known) {
    if (known.nhsNumber) {
      const p = digitsPattern(known.nhsNumber);
      if (p) digitAlternatives.push({ source: p, token: '[NHS NUMBER]' });
    }
    for (const ph of known.phones) {
      const p = digitsPattern(ph);
      if (p) digitAlternatives.push({ source: p, token: '[PHONE]' });
    }
    add(known.emails, '[EMAIL]');
    add(known.ids, '[ID]');
    add(known.postcodes, '[POSTCODE]');
    add(known.addressParts, '[ADDRESS]', 3);
    add(known.names, '[NAME]');
    add(known.phones, '[PHONE]', 6);
  }
  add(extraNames, '[NAME]');
  for (const n of extraNames) add(n.split(/\s+/), '[NAME]', 2);
  // Longest first so a full name wins over its parts.
  literalAlternatives.sort((a, b) => b.source.length - a.source.length);
  const tokens = literalAlternatives.map((a) => a.token);
  const literal =
    literalAlternatives.length > 0
      ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${literalAlternatives.map((a) => `(${a.source})`).join('|')})(?![\\p{L}\\p{N}])`, 'giu')
      : undefined;
  const digitRes = digitAlternatives.map((a) => ({ re: new RegExp(`(?<!\\d)${a.source}(?!\\d)`, 'g'), token: a.token }));

  return (text: string): string => {
    let t = text;
    t = t.replace(EMAIL, '[EMAIL]');
    for (const { re, token } of digitRes) t = t.replace(re, token);
    t = t.replace(NHS_IN_TEXT, (m) => (canonicalNhsNumber(m) !== undefined || /[ -]/.test(m) ? '[NHS NUMBER]' : '[NUMBER]'));
    t = t.replace(UK_PHONE, '[PHONE]');
    t = t.replace(POSTCODE, '[POSTCODE]');
    for (const re of DATES) t = t.replace(re, '[DATE]');
    if (literal) {
      t = t.replace(literal, (...m: unknown[]) => {
        for (let i = 0; i < tokens.length; i++) if (m[i + 1] !== undefined) return tokens[i]!;
        return '[REDACTED]';
      });
    }
    t = t.replace(TITLED_NAME, '[NAME]');
    return t;
  };
}
