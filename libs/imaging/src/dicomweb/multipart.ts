import { randomBytes } from 'node:crypto';

/**
 * `multipart/related` (RFC 2387) bodies as DICOMweb uses them (PS3.18 §8.6.1.2): a streaming
 * reader for STOW-RS requests and a writer for WADO-RS responses. The reader never holds more than
 * one network chunk plus a delimiter's length of a part in memory: part bodies go to a sink as
 * they arrive, with back-pressure, so an upload of any size streams to storage.
 */

/** Media type parameters (RFC 9110 §5.6.6), names lower-cased, quoted strings unquoted. */
export function parseMediaType(header: string | undefined): { type: string; params: Record<string, string> } | undefined {
  if (!header) return undefined;
  const m = /^\s*([^\s;]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) {
    const raw = p[2]!.trim();
    params[p[1]!.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return { type: m[1]!.toLowerCase(), params };
}

export interface PartSink {
  write(chunk: Buffer): Promise<void>;
  /** The part ended at its closing delimiter. */
  end(): Promise<void>;
  /** The body ended inside this part: discard what was written. */
  abort(): Promise<void>;
}

export interface MultipartLimits {
  readonly maxHeaderBytes?: number;
  readonly maxParts?: number;
}

export class MultipartError extends Error {
  constructor(
    readonly code: 'no_boundary' | 'headers_too_large' | 'too_many_parts' | 'bad_delimiter',
    message: string,
  ) {
    super(message);
    this.name = 'MultipartError';
  }
}

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/**
 * Read a multipart/related body part by part (RFC 2046 §5.1.1 delimiters). For each part,
 * `openPart` receives its headers (names lower-cased) and returns where its body goes.
 * Returns the number of parts and whether the body ended before the close delimiter (the last,
 * incomplete part is then aborted, never handed on as complete).
 */
export async function readMultipart(
  source: AsyncIterable<Buffer | string>,
  boundary: string,
  openPart: (headers: Readonly<Record<string, string>>, index: number) => Promise<PartSink>,
  limits: MultipartLimits = {},
): Promise<{ parts: number; truncated: boolean }> {
  if (!boundary || boundary.length > 70)
    throw new MultipartError('no_boundary', 'the multipart boundary is missing or longer than 70 characters');
  const maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
  const maxParts = limits.maxParts ?? 10_000;
  // The body is read as if preceded by CRLF, so the first delimiter needs no special case.
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let buf: Buffer = Buffer.from(CRLF);
  type State = 'preamble' | 'after_delimiter' | 'headers' | 'body' | 'done';
  let state = 'preamble' as State;
  let sink: PartSink | undefined;
  let parts = 0;

  const step = async (): Promise<boolean> => {
    switch (state) {
      case 'preamble': {
        const i = buf.indexOf(delimiter);
        if (i < 0) {
          buf = buf.subarray(Math.max(0, buf.length - delimiter.length + 1));
          return false;
        }
        buf = buf.subarray(i + delimiter.length);
        state = 'after_delimiter';
        return true;
      }
      case 'after_delimiter': {
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done'; // close delimiter: the epilogue is ignored (RFC 2046 §5.1.1)
          return false;
        }
        const eol = buf.indexOf(CRLF);
        if (eol < 0) {
          if (buf.length > 1024) throw new MultipartError('bad_delimiter', 'a boundary line does not end');
          return false;
        }
        if (!/^[ \t]*$/.test(buf.subarray(0, eol).toString('latin1')))
          throw new MultipartError('bad_delimiter', 'unexpected text after a boundary');
        buf = buf.subarray(eol + 2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        let headerText: string;
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
          headerText = '';
          buf = buf.subarray(2);
        } else {
          const end = buf.indexOf(HEADERS_END);
          if (end < 0) {
            if (buf.length > maxHeaderBytes) throw new MultipartError('headers_too_large', 'part headers are too large');
            return false;
          }
          headerText = buf.subarray(0, end).toString('latin1');
          buf = buf.subarray(end + 4);
        }
        if (parts >= maxParts) throw new MultipartError('too_many_parts', `more than ${maxParts} parts`);
        const headers: Record<string, string> = {};
        for (const line of headerText.split(/\r\n(?![ \t])/)) {
          const c = line.indexOf(':');
          if (c > 0)
            headers[line.slice(0, c).trim().toLowerCase()] = line
              .slice(c + 1)
              .replace(/\r\n[ \t]+/g, ' ')
              .trim();
        }
        sink = await openPart(headers, parts++);
        state = 'body';
        return true;
      }
      case 'body': {
        const i = buf.indexOf(delimiter);
        if (i >= 0) {
          if (i > 0) await sink!.write(Buffer.from(buf.subarray(0, i)));
          await sink!.end();
          sink = undefined;
          buf = buf.subarray(i + delimiter.length);
          state = 'after_delimiter';
          return true;
        }
        // Keep a possible partial delimiter at the end; hand everything before it on.
        const keep = delimiter.length - 1;
        if (buf.length > keep) {
          await sink!.write(Buffer.from(buf.subarray(0, buf.length - keep)));
          buf = buf.subarray(buf.length - keep);
        }
        return false;
      }
      case 'done':
        return false;
    }
  };

  // `step` moves the state; read it through a function so narrowing does not go stale.
  const done = (): boolean => state === 'done';
  for await (const raw of source) {
    if (done()) continue; // drain the epilogue so the connection can be reused
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (!done() && (await step()));
    if (done()) buf = Buffer.alloc(0);
  }
  if (!done()) {
    await sink?.abort();
    return { parts, truncated: true };
  }
  return { parts, truncated: false };
}

/** A boundary for responses: random, so it cannot occur in the parts by accident. */
export function newBoundary(): string {
  return `harbour-${randomBytes(18).toString('hex')}`;
}

/** The header block that opens one part of a response. */
export function partHeader(boundary: string, contentType: string, extra: Readonly<Record<string, string>> = {}): Buffer {
  const lines = [`--${boundary}`, `Content-Type: ${contentType}`, ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** CRLF that ends a part body, and the close delimiter. */
export const partEnd = (): Buffer => Buffer.from(CRLF);
export const closeDelimiter = (boundary: string): Buffer => Buffer.from(`--${boundary}--\r\n`, 'latin1');
