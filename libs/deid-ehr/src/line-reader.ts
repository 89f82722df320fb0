import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { RecordError } from './rejections.js';

/** Default ceiling for one NDJSON record: 10 MiB. Larger lines are skipped without being buffered. */
export const MAX_RECORD_BYTES = 10 * 1024 * 1024;

/** One physical line that holds a record, with its 1-based line number (count of `\n` before it + 1). */
export interface LineRecord {
  line: number;
  raw: string;
  error?: undefined;
}

/** A line that could not be turned into text: too large, or not UTF-8. */
export interface LineError {
  line: number;
  raw?: undefined;
  error: RecordError;
}

export type LineItem = LineRecord | LineError;

export interface LineReaderOptions {
  /** Maximum bytes in one line, excluding the line feed. Default {@link MAX_RECORD_BYTES}. */
  maxRecordBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;

function isBlank(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x20 || b === 0x09 || b === CR) continue;
    // A UTF-8 byte order mark (EF BB BF) on its own is blank too.
    if (b === 0xef && bytes[i + 1] === 0xbb && bytes[i + 2] === 0xbf) {
      i += 2;
      continue;
    }
    return false;
  }
  return true;
}

/**
 * Split a byte stream into lines without ever holding more than one line (up to the limit) in
 * memory. Line numbers are physical: every `\n` counts, blank lines are skipped but counted, and a
 * trailing `\r` (CRLF files) is dropped. Each line is decoded with a fatal UTF-8 decoder, so one bad
 * byte refuses that line only (`invalid_utf8`). A line over the limit is discarded as it streams
 * past and reported once (`record_too_large`) with the number of the line it started on.
 */
export async function* readLines(source: AsyncIterable<Uint8Array>, options: LineReaderOptions = {}): AsyncGenerator<LineItem> {
  const max = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  // fatal: invalid sequences throw instead of becoming U+FFFD; a leading BOM is consumed.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Uint8Array[] = [];
  let pendingLen = 0;
  let skipping = false;
  let lineNo = 1;

  const finish = (bytes: Uint8Array, line: number): LineItem | undefined => {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end--;
    const body = end === bytes.length ? bytes : bytes.subarray(0, end);
    if (body.length === 0 || (body[0] !== 0x7b && isBlank(body))) return undefined;
    try {
      return { line, raw: decoder.decode(body) };
    } catch {
      return { line, error: { code: 'invalid_utf8', message: 'Record is not valid UTF-8' } };
    }
  };
  const tooLarge = (line: number): LineError => ({
    line,
    error: { code: 'record_too_large', message: `Record exceeds the ${max}-byte limit and was skipped` },
  });

  for await (const chunkAny of source) {
    const chunk = chunkAny;
    let pos = 0;
    while (pos <= chunk.length) {
      const idx = chunk.indexOf(LF, pos);
      if (idx === -1) {
        if (pos < chunk.length && !skipping) {
          const rest = chunk.subarray(pos);
          if (pendingLen + rest.length > max) {
            skipping = true;
            pending = [];
            pendingLen = 0;
          } else {
            pending.push(rest);
            pendingLen += rest.length;
          }
        }
        break;
      }
      const seg = chunk.subarray(pos, idx);
      if (skipping || pendingLen + seg.length > max) {
        yield tooLarge(lineNo);
        skipping = false;
      } else {
        const bytes = pendingLen === 0 ? seg : Buffer.concat([...pending, seg], pendingLen + seg.length);
        const item = finish(bytes, lineNo);
        if (item) yield item;
      }
      pending = [];
      pendingLen = 0;
      lineNo++;
      pos = idx + 1;
    }
  }
  if (skipping) yield tooLarge(lineNo);
  else if (pendingLen > 0) {
    const item = finish(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingLen), lineNo);
    if (item) yield item;
  }
}

/** Open a file as a byte stream, gunzipping `.gz` files (Bulk Data servers may compress output). */
export function openByteStream(path: string): AsyncIterable<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  return path.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
}

/**
 * Stream an NDJSON file (FHIR Bulk Data, application/fhir+ndjson) as `{ line, raw }` records or
 * `{ line, error }` items. Nothing is parsed here; the file is never loaded whole.
 */
export function readNdjson(path: string, options: LineReaderOptions = {}): AsyncGenerator<LineItem> {
  return readLines(openByteStream(path), options);
}
