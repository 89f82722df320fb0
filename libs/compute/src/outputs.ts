import { createHash } from 'node:crypto';
import { parsePngHeader } from './airlock/png.js';
import { OUTPUT_MIME, type JobOutput, type JobOutputKind, type JsonValue, type TableCell, type TableData } from './job.types.js';

/** Output names: safe as file names in a release bundle and in object storage keys. */
export const OUTPUT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidOutputName(name: string): boolean {
  return OUTPUT_NAME.test(name) && !name.includes('..');
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/**
 * Turns what the sandbox handed over into a stored output. The guest-side API validated it
 * already, but the job could have replaced that API, so this is the authoritative check.
 * Returns undefined for anything malformed.
 */
export function materializeOutput(kind: JobOutputKind, name: string, payload: string | ArrayBuffer): JobOutput | undefined {
  const mime = OUTPUT_MIME[kind];
  switch (kind) {
    case 'table': {
      if (typeof payload !== 'string') return undefined;
      const table = parseTable(payload);
      if (!table) return undefined;
      const bytes = utf8(toCsv(table));
      return { kind, name, mime, table, bytes, size: bytes.length, sha256: sha256(bytes) };
    }
    case 'json': {
      if (typeof payload !== 'string') return undefined;
      let value: JsonValue;
      try {
        value = JSON.parse(payload) as JsonValue;
      } catch {
        return undefined;
      }
      const bytes = utf8(JSON.stringify(value));
      return { kind, name, mime, value, bytes, size: bytes.length, sha256: sha256(bytes) };
    }
    case 'text': {
      if (typeof payload !== 'string') return undefined;
      const bytes = utf8(payload);
      return { kind, name, mime, text: payload, bytes, size: bytes.length, sha256: sha256(bytes) };
    }
    case 'png': {
      if (typeof payload === 'string') return undefined;
      const bytes = new Uint8Array(payload);
      if (!parsePngHeader(bytes)) return undefined;
      return { kind, name, mime, bytes, size: bytes.length, sha256: sha256(bytes) };
    }
  }
}

function isCell(v: unknown): v is TableCell {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function parseTable(payload: string): TableData | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { columns, rows } = raw as { columns?: unknown; rows?: unknown };
  if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c): c is string => typeof c === 'string' && c !== '')) {
    return undefined;
  }
  if (new Set(columns).size !== columns.length || !Array.isArray(rows)) return undefined;
  for (const row of rows as unknown[]) {
    if (!Array.isArray(row) || row.length !== columns.length || !row.every(isCell)) return undefined;
  }
  return { columns, rows: rows as TableCell[][] };
}

// Spreadsheet programs run cells starting with these as formulas (OWASP "CSV injection"); guardians
// open outputs in such programs, so text cells that start with one are prefixed with a quote.
const FORMULA_START = /^[=+\-@\t\r]/;

function csvField(cell: TableCell): string {
  if (cell === null) return '';
  if (typeof cell !== 'string') return String(cell);
  const text = FORMULA_START.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV: header row, CRLF line ends, fields quoted when they hold a comma, quote or line break. */
export function toCsv(table: TableData): string {
  const lines = [table.columns.map(csvField).join(',')];
  for (const row of table.rows) lines.push(row.map(csvField).join(','));
  return lines.join('\r\n') + '\r\n';
}
