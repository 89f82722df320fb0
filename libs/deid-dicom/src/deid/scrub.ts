import { POSTCODE_IN_TEXT } from '@harbour/nhs';

/**
 * Free-text cleaning for the Clean Descriptors and Clean Structured Content options
 * (PS3.15 §E.3.5, §E.3.3): "replace with values of similar meaning known not to contain identifying
 * information". Harbour removes what it can recognise: the names and identifiers this very
 * instance carries (collected from its PN and identifier attributes), NHS numbers in any spacing,
 * dates in common written forms, telephone numbers, e-mail addresses and UK postcodes.
 */
export const SCRUB_MARK = '***';

const MONTHS =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';

const PATTERNS: RegExp[] = [
  /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gi, // e-mail
  /(?:\+44\s?\(?0?\)?|\b0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}\b/g, // UK telephone numbers
  /\b\d{3}[\s.-]?\d{3}[\s.-]?\d{4}\b/g, // NHS number (any 10-digit group, spaced or not)
  /\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b/g, // 01/02/2020, 1.2.20
  /\b\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\b/g, // 2020-02-01
  /\b(?:1[89]|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b/g, // 20200201 (DICOM DA)
  new RegExp(`\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?(?:${MONTHS})\\.?,?\\s+\\d{2,4}\\b`, 'gi'), // 1st Feb 2020
  new RegExp(`\\b(?:${MONTHS})\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?,?\\s+\\d{4}\\b`, 'gi'), // February 1, 2020
  new RegExp(`\\b(?:${MONTHS})\\.?\\s+\\d{4}\\b`, 'gi'), // Feb 2020
  new RegExp(POSTCODE_IN_TEXT.source, 'gi'),
];

const MAX_REMEMBERED = 256;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Scrubber {
  private readonly literal: RegExp | undefined;

  /**
   * @param phrases identifying strings of this instance: person names (PN, split into components),
   *   identifiers, institution names and addresses.
   */
  constructor(phrases: Iterable<string>) {
    const words = new Set<string>();
    for (const p of phrases) {
      const whole = p
        .replace(/[\^=]+/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      if (whole.length >= 2) words.add(whole);
      for (const part of whole.split(/[\s,]+/)) {
        // Single letters and honorifics would wipe ordinary text; initials are not identifying alone.
        if (part.length >= 2 && !/^(dr|mr|mrs|ms|miss|prof|the|and|of|nhs)\.?$/i.test(part)) words.add(part);
      }
    }
    const list = [...words].sort((a, b) => b.length - a.length).map(escape);
    // Word boundaries over ASCII and Latin-1/Latin Extended letters (ISO_IR 100 text).
    this.literal = list.length
      ? new RegExp(`(?<![0-9A-Za-z\\u00C0-\\u024F])(?:${list.join('|')})(?![0-9A-Za-z\\u00C0-\\u024F])`, 'gi')
      : undefined;
  }

  /**
   * Results by input text. A scrubber is built for one set of phrases (in practice one patient's
   * study), whose instances repeat the same descriptions and comments slice after slice. Bounded.
   */
  private readonly results = new Map<string, string>();

  scrub(text: string): string {
    const known = this.results.get(text);
    if (known !== undefined) return known;
    // Patterns first: an e-mail address must be recognised before the names inside it are masked.
    let out = text;
    for (const re of PATTERNS) out = out.replace(re, SCRUB_MARK);
    if (this.literal) out = out.replace(this.literal, SCRUB_MARK);
    if (this.results.size >= MAX_REMEMBERED) this.results.clear();
    this.results.set(text, out);
    return out;
  }
}
