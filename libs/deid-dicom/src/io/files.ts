import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, read, readSync, renameSync, rmSync, writev, writevSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Whole-file I/O for instances small enough to hold (a CT or MR slice). Opening, closing and
 * renaming are metadata calls of a few microseconds each and are made synchronously: a round trip
 * through libuv's thread pool costs more than the call itself. The two calls that move the bytes,
 * the read and the gathered write, are synchronous too when one file is handled at a time (lowest
 * latency), or asynchronous (`async: true`) when several are in flight, so that the thread pool
 * copies one file's bytes on another core while the main thread parses the next file.
 */

/** Read buffers up to this size are reused (reading into fresh memory costs a page fault per 4 KiB). */
const POOLED_BYTES = 1024 * 1024;
/** At most this many idle read buffers are kept (bounded memory, enough for any sane concurrency). */
const POOL_MAX_FREE = 8;
const pool: Buffer[] = [];

/** A whole file in memory; `release()` returns its buffer for reuse once nothing refers to it. */
export interface HeldFile {
  readonly buffer: Buffer;
  release(): void;
}

/**
 * Read `path` whole if it is at most `maxBytes` long; otherwise return its size and read nothing.
 * The buffer may be a reused one: callers must call `release()` after their last use of it (or
 * of any slice of it) and never after.
 */
export async function readWholeFile(path: string, maxBytes: number, async: boolean): Promise<HeldFile | { readonly size: number }> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) return { size };
    const pooled = size <= POOLED_BYTES;
    const backing = pooled ? (pool.pop() ?? Buffer.allocUnsafe(POOLED_BYTES)) : Buffer.allocUnsafe(size);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (pooled && pool.length < POOL_MAX_FREE) pool.push(backing);
    };
    try {
      let off = 0;
      while (off < size) {
        const n = await readAt(fd, backing, off, size - off, async);
        if (n === 0) break; // shrank since fstat: parse what is there (a short file is rejected as truncated)
        off += n;
      }
      return { buffer: backing.subarray(0, off), release };
    } catch (e) {
      release();
      throw e;
    }
  } finally {
    closeSync(fd);
  }
}

function readAt(fd: number, buf: Buffer, offset: number, length: number, async: boolean): Promise<number> | number {
  if (!async) return readSync(fd, buf, offset, length, offset);
  return new Promise((resolve, reject) => read(fd, buf, offset, length, offset, (e, n) => (e ? reject(e) : resolve(n))));
}

function writevAt(fd: number, chunks: readonly Buffer[], position: number, async: boolean): Promise<number> | number {
  if (!async) return writevSync(fd, chunks, position);
  return new Promise((resolve, reject) => writev(fd, chunks, position, (e, n) => (e ? reject(e) : resolve(n))));
}

/** Linux accepts at most IOV_MAX (1024) buffers per writev. */
const IOV_MAX = 1024;

async function writeAll(fd: number, chunks: readonly Buffer[], async: boolean): Promise<void> {
  let position = 0;
  let rest = chunks.filter((c) => c.length > 0);
  while (rest.length > 0) {
    const batch = rest.length > IOV_MAX ? rest.slice(0, IOV_MAX) : rest;
    let n = await writevAt(fd, batch, position, async);
    if (n === 0) throw new Error('write made no progress');
    position += n;
    // A short write (disk full is reported as an error, but a signal can interrupt): continue
    // from the first byte not written.
    let i = 0;
    while (i < batch.length && n >= batch[i]!.length) n -= batch[i++]!.length;
    rest = i < batch.length ? [batch[i]!.subarray(n), ...rest.slice(i + 1)] : rest.slice(batch.length);
  }
}

// Temporary names: process id and a random tag fixed per process, then a counter, so names never
// collide across concurrent runs, processes or hosts sharing a folder, without a random draw per file.
const processTag = `${process.pid}-${randomBytes(4).toString('hex')}`;
let tmpCounter = 0;
export const tmpName = (path: string, what: string): string => `${path}.${what}-${processTag}-${(tmpCounter++).toString(36)}`;

/** Open for writing, creating the parent folder on first use (one call in the common case). */
export function openForWrite(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'w');
  }
}

/**
 * Write `chunks` to `path` atomically: to a temporary name in the same folder with one gathered
 * write, then renamed into place, so a reader never sees a partial file and a failure leaves none.
 */
export async function writeFileAtomically(path: string, chunks: readonly Buffer[], async: boolean): Promise<void> {
  const tmp = tmpName(path, 'harbour-tmp');
  let fd: number | undefined = openForWrite(tmp);
  try {
    await writeAll(fd, chunks, async);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}
