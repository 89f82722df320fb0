import type { FileHandle } from 'node:fs/promises';
import { createDeflateRaw, type DeflateRaw } from 'node:zlib';
import type { ByteSource } from './source.js';

/** Where the rewritten instance goes. Small writes are coalesced; bulk values are copied in chunks. */
export interface ByteSink {
  write(chunk: Buffer): Promise<void> | void;
  /** Copy `length` bytes of `src` at `offset`, in bounded chunks (never the whole value at once). */
  copyFrom(src: ByteSource, offset: number, length: number): Promise<void>;
  finish(): Promise<void>;
}

const COPY_CHUNK = 1024 * 1024;
const COALESCE = 256 * 1024;

async function copyChunks(sink: ByteSink, src: ByteSource, offset: number, length: number, scratch: Buffer): Promise<void> {
  let done = 0;
  while (done < length) {
    const n = Math.min(scratch.length, length - done);
    const got = await src.readInto(scratch, offset + done, n);
    if (got !== n) throw new Error('source shrank while copying');
    // The scratch buffer is reused, so the sink must consume it before the next read.
    await sink.write(scratch.subarray(0, n));
    done += n;
  }
}

/**
 * Collects the output as a list of chunks without copying them: every chunk the writer hands over
 * is freshly allocated or a stable slice of an in-memory source (never a reused scratch buffer).
 */
export class BufferSink implements ByteSink {
  readonly chunks: Buffer[] = [];
  write(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  async copyFrom(src: ByteSource, offset: number, length: number): Promise<void> {
    const b = await src.read(offset, length);
    // A file source returns a fresh buffer; an in-memory source a stable slice.
    this.chunks.push(b);
  }
  finish(): Promise<void> {
    return Promise.resolve();
  }
  result(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export class FileSink implements ByteSink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scratch: Buffer | undefined;
  constructor(private readonly fh: FileHandle) {}

  write(chunk: Buffer): Promise<void> | void {
    if (chunk.length >= COALESCE) {
      return this.flush().then(() => this.writeAll(chunk));
    }
    this.pending.push(Buffer.from(chunk));
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= COALESCE) return this.flush();
  }

  private async writeAll(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.fh.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.writeAll(all);
  }

  async copyFrom(src: ByteSource, offset: number, length: number): Promise<void> {
    await this.flush();
    this.scratch ??= Buffer.allocUnsafe(COPY_CHUNK);
    let done = 0;
    while (done < length) {
      const n = Math.min(this.scratch.length, length - done);
      const got = await src.readInto(this.scratch, offset + done, n);
      if (got !== n) throw new Error('source shrank while copying');
      await this.writeAll(this.scratch.subarray(0, n));
      done += n;
    }
  }

  async finish(): Promise<void> {
    await this.flush();
  }
}

/**
 * Deflated Explicit VR Little Endian (PS3.5 §A.5): everything after the File Meta Information is
 * a raw deflate stream (RFC 1951, no zlib header). Output is compressed as it is produced.
 */
export class DeflateSink implements ByteSink {
  private readonly z: DeflateRaw = createDeflateRaw();
  private out: Buffer[] = [];
  private scratch: Buffer | undefined;
  private failed: Error | undefined;
  constructor(private readonly inner: ByteSink) {
    this.z.on('data', (c: Buffer) => this.out.push(c));
    this.z.on('error', (e: Error) => (this.failed = e));
  }
  private async drain(): Promise<void> {
    if (this.failed) throw this.failed;
    const chunks = this.out;
    this.out = [];
    for (const c of chunks) await this.inner.write(c);
  }
  async write(chunk: Buffer): Promise<void> {
    const copy = Buffer.from(chunk);
    await new Promise<void>((resolve, reject) => this.z.write(copy, (e) => (e ? reject(e) : resolve())));
    await this.drain();
  }
  async copyFrom(src: ByteSource, offset: number, length: number): Promise<void> {
    this.scratch ??= Buffer.allocUnsafe(COPY_CHUNK);
    await copyChunks(this, src, offset, length, this.scratch);
  }
  async finish(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.z.once('end', resolve);
      this.z.end();
    });
    await this.drain();
    await this.inner.finish();
  }
}
