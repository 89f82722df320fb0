import type { FileHandle } from 'node:fs/promises';
import { DicomRejection } from '../errors.js';

/** Random-access byte source: a file read with positioned reads, or an in-memory buffer. */
export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset` (fewer only at end of source). May share memory. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Read into `target` (for chunked copies with a reused buffer); returns bytes read. */
  readInto(target: Buffer, offset: number, length: number): Promise<number>;
}

export class BufferSource implements ByteSource {
  constructor(readonly buffer: Buffer) {}
  get size(): number {
    return this.buffer.length;
  }
  read(offset: number, length: number): Promise<Buffer> {
    return Promise.resolve(this.buffer.subarray(offset, Math.min(offset + length, this.buffer.length)));
  }
  readInto(target: Buffer, offset: number, length: number): Promise<number> {
    return Promise.resolve(this.buffer.copy(target, 0, offset, Math.min(offset + length, this.buffer.length)));
  }
}

export class FileSource implements ByteSource {
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}
  async read(offset: number, length: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafe(n);
    const got = await this.readInto(buf, offset, n);
    return got === n ? buf : buf.subarray(0, got);
  }
  async readInto(target: Buffer, offset: number, length: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(target, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }
}

const WINDOW = 64 * 1024;

/**
 * Sequential reader over a ByteSource through a window, so parsing element headers costs one
 * system call per 64 KiB rather than one per element. Values larger than the window are either
 * read exactly (small enough to hold) or skipped and referenced by offset (bulk data).
 */
export class Cursor {
  pos: number;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    readonly src: ByteSource,
    pos: number,
  ) {
    this.pos = pos;
    if (src instanceof BufferSource) {
      this.buf = src.buffer;
      this.bufStart = 0;
    }
  }

  get size(): number {
    return this.src.size;
  }

  has(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length;
  }

  /** Make `n` bytes at `pos` available; a source that ends first is a truncated file. */
  async fill(n: number): Promise<void> {
    if (this.pos + n > this.src.size) {
      throw new DicomRejection('truncated', `file ends at byte ${this.src.size}, ${n} bytes needed at ${this.pos}`);
    }
    if (this.has(n)) return;
    this.buf = await this.src.read(this.pos, Math.max(n, WINDOW));
    this.bufStart = this.pos;
    if (this.buf.length < n) throw new DicomRejection('truncated', `short read at byte ${this.pos}`);
  }

  u16(little: boolean): number {
    const o = this.pos - this.bufStart;
    this.pos += 2;
    return little ? this.buf.readUInt16LE(o) : this.buf.readUInt16BE(o);
  }
  u32(little: boolean): number {
    const o = this.pos - this.bufStart;
    this.pos += 4;
    return little ? this.buf.readUInt32LE(o) : this.buf.readUInt32BE(o);
  }
  /** Two bytes as one number, first byte high (a VR as written, see VR_BY_CODE). */
  code2(): number {
    const o = this.pos - this.bufStart;
    this.pos += 2;
    return (this.buf[o]! << 8) | this.buf[o + 1]!;
  }
  ascii2(): string {
    const o = this.pos - this.bufStart;
    this.pos += 2;
    return String.fromCharCode(this.buf[o]!, this.buf[o + 1]!);
  }
  take(n: number): Buffer {
    const o = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(o, o + n);
  }
  async bytes(n: number): Promise<Buffer> {
    if (!this.has(n)) await this.fill(n);
    return this.take(n);
  }
}
