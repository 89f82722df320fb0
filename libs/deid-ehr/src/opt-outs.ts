import { canonicalNhsNumber } from '@harbour/nhs';
import { readNdjson } from './line-reader.js';
import { normaliseColumnName, splitCsvRecord } from './csv-reader.js';

export interface OptOutFileResult {
  /** Canonical NHS numbers (ten digits, Modulus 11 valid). */
  nhsNumbers: Set<string>;
  /** Non-blank lines (after the header) that held no valid NHS number. */
  invalidLines: number;
}

const NHS_COLUMNS = new Set(['nhs_number', 'nhs_no', 'nhsnumber', 'nhs', 'nhs_num']);

/**
 * Read an opt-out list: one NHS number per line, or a CSV with an NHS number column (named
 * nhs_number / nhs_no / nhs; otherwise the first column). Tolerates a BOM, CRLF, quotes, spaces
 * and dashes inside numbers, and a header line. Invalid lines are ignored and counted. Streams the
 * file, so national-scale lists are fine.
 */
export async function parseOptOutFileDetailed(path: string): Promise<OptOutFileResult> {
  const nhsNumbers = new Set<string>();
  let invalidLines = 0;
  let column = -1; // -1: undecided; then the index of the NHS number column
  let delimiter = ',';
  for await (const item of readNdjson(path)) {
    if (item.error) {
      invalidLines++;
      continue;
    }
    const raw = item.raw.trim();
    if (column === -1) {
      delimiter = raw.includes(',') ? ',' : raw.includes('\t') ? '\t' : raw.includes(';') ? ';' : ',';
      const cells = (splitCsvRecord(raw, delimiter) ?? [raw]).map(normaliseColumnName);
      const named = cells.findIndex((c) => NHS_COLUMNS.has(c));
      column = named >= 0 ? named : 0;
      // A header line (no digits in the chosen column) is skipped without counting as invalid.
      if (named >= 0 || !/\d/.test(cells[column] ?? '')) continue;
    }
    const cells = raw.includes(delimiter) ? (splitCsvRecord(raw, delimiter) ?? []) : [raw];
    const nhs = canonicalNhsNumber((cells[column] ?? '').replace(/^"|"$/g, ''));
    if (nhs === undefined) invalidLines++;
    else nhsNumbers.add(nhs);
  }
  return { nhsNumbers, invalidLines };
}

/** Read an opt-out list into a set of canonical NHS numbers (see {@link parseOptOutFileDetailed}). */
export async function parseOptOutFile(path: string): Promise<Set<string>> {
  return (await parseOptOutFileDetailed(path)).nhsNumbers;
}
