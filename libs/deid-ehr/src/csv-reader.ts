import { readNdjson, MAX_RECORD_BYTES, type LineReaderOptions } from './line-reader.js';
import type { RecordError } from './rejections.js';

/** The header row: column names normalised (see {@link normaliseColumnName}). */
export interface CsvHeader {
  line: number;
  header: string[];
  delimiter: string;
  row?: undefined;
  error?: undefined;
}

/** One data row keyed by normalised column name; `line` is the physical line the row starts on. */
export interface CsvRow {
  line: number;
  row: Record<string, string>;
  header?: undefined;
  error?: undefined;
}

export interface CsvError {
  line: number;
  error: RecordError;
  header?: undefined;
  row?: undefined;
}

export type CsvItem = CsvHeader | CsvRow | CsvError;

/** `" NHS Number "` → `nhs_number`: case, surrounding space, BOM, inner spaces and dashes do not matter. */
export function normaliseColumnName(name: string): string {
  return name
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[\s\-.]+/g, '_');
}

/**
 * Split one CSV record (RFC 4180: quoted fields, doubled quotes, embedded delimiters and newlines).
 * Unquoted fields are trimmed, which absorbs trailing whitespace in messy extracts.
 * Returns undefined for an unterminated quote.
 */
export function splitCsvRecord(text: string, delimiter = ','): string[] | undefined {
  const out: string[] = [];
  const d = delimiter.charCodeAt(0);
  let i = 0;
  const n = text.length;
  for (;;) {
    // skip leading spaces before a possible quote
    let j = i;
    while (j < n && (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) && text.charCodeAt(j) !== d) j++;
    if (j < n && text.charCodeAt(j) === 34) {
      let value = '';
      let k = j + 1;
      for (;;) {
        const q = text.indexOf('"', k);
        if (q === -1) return undefined;
        value += text.slice(k, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          k = q + 2;
          continue;
        }
        k = q + 1;
        break;
      }
      // tolerate junk/space between the closing quote and the delimiter
      const next = text.indexOf(delimiter, k);
      out.push(value);
      if (next === -1) return out;
      i = next + 1;
    } else {
      const next = text.indexOf(delimiter, i);
      if (next === -1) {
        out.push(text.slice(i).trim());
        return out;
      }
      out.push(text.slice(i, next).trim());
      i = next + 1;
    }
  }
}

function countQuotes(s: string): number {
  let c = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) c++;
  return c;
}

function detectDelimiter(headerLine: string): string {
  if (headerLine.includes(',')) return ',';
  for (const d of ['\t', ';', '|']) if (headerLine.includes(d)) return d;
  return ',';
}

/**
 * Stream a CSV file: first a header item, then one item per row. Built on the byte-level line reader,
 * so it shares its guarantees (UTF-8 checked per record, BOM and CRLF tolerated, blank lines skipped
 * but counted, oversized records refused). A quoted field may span lines; the row keeps the line it
 * started on.
 */
export async function* readCsv(path: string, options: LineReaderOptions = {}): AsyncGenerator<CsvItem> {
  const max = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  let header: string[] | undefined;
  let delimiter = ',';
  let acc: string | undefined;
  let accLine = 0;
  let accQuotes = 0;
  for await (const item of readNdjson(path, options)) {
    if (item.error) {
      if (acc !== undefined) {
        yield { line: accLine, error: { code: 'invalid_csv_row', message: 'Row has an unterminated quoted field' } };
        acc = undefined;
      }
      yield { line: item.line, error: item.error };
      continue;
    }
    let text: string;
    let line: number;
    if (acc !== undefined) {
      acc += `\n${item.raw}`;
      accQuotes += countQuotes(item.raw);
      text = acc;
      line = accLine;
    } else {
      text = item.raw;
      line = item.line;
      accQuotes = countQuotes(text);
    }
    if (accQuotes % 2 === 1) {
      if (text.length > max) {
        yield { line, error: { code: 'record_too_large', message: `Row exceeds the ${max}-byte limit` } };
        acc = undefined;
        continue;
      }
      acc = text;
      accLine = line;
      continue;
    }
    acc = undefined;
    if (header === undefined) {
      delimiter = detectDelimiter(text);
      const cols = splitCsvRecord(text, delimiter);
      if (!cols) {
        yield { line, error: { code: 'invalid_csv_header', message: 'Header row could not be parsed' } };
        return;
      }
      header = cols.map(normaliseColumnName);
      yield { line, header, delimiter };
      continue;
    }
    const fields = splitCsvRecord(text, delimiter);
    if (!fields) {
      yield { line, error: { code: 'invalid_csv_row', message: 'Row has an unterminated quoted field' } };
      continue;
    }
    if (fields.length !== header.length) {
      // A single trailing empty field (a trailing delimiter) is a common export artefact.
      const trailingEmpty = fields.length === header.length + 1 && fields[fields.length - 1] === '';
      if (!trailingEmpty) {
        yield { line, error: { code: 'invalid_csv_row', message: `Row has ${fields.length} fields, header has ${header.length}` } };
        continue;
      }
    }
    const row: Record<string, string> = {};
    for (let c = 0; c < header.length; c++) row[header[c]!] = fields[c] ?? '';
    yield { line, row };
  }
  if (acc !== undefined) yield { line: accLine, error: { code: 'invalid_csv_row', message: 'Row has an unterminated quoted field' } };
}
