import { open, type FileHandle } from 'node:fs/promises';
import type { Rejection, RejectionCode } from './rejections.js';

const FLUSH_AT = 1 << 20;

/** Appends text to a file in ~1 MiB writes; memory per open file stays bounded. */
export class BufferedFileWriter {
  private parts: string[] = [];
  private size = 0;
  private constructor(private readonly fh: FileHandle) {}

  static async create(path: string): Promise<BufferedFileWriter> {
    return new BufferedFileWriter(await open(path, 'w'));
  }

  /** Returns a promise only when a flush happened, so the hot path stays synchronous. */
  write(text: string): Promise<void> | undefined {
    this.parts.push(text);
    this.size += text.length;
    return this.size >= FLUSH_AT ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const data = this.parts.join('');
    this.parts = [];
    this.size = 0;
    await this.fh.write(data);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }
}

/** Streams rejections into a JSON array file (`rejections.json`) and counts them by code. */
export class RejectionSink {
  count = 0;
  readonly byCode: Partial<Record<RejectionCode, number>> = {};
  private constructor(private readonly w: BufferedFileWriter) {}

  static async create(path: string): Promise<RejectionSink> {
    const w = await BufferedFileWriter.create(path);
    await w.write('[');
    return new RejectionSink(w);
  }

  add(r: Rejection): Promise<void> | undefined {
    this.byCode[r.code] = (this.byCode[r.code] ?? 0) + 1;
    const text = `${this.count === 0 ? '\n' : ',\n'}${JSON.stringify({ file: r.file, line: r.line, code: r.code, message: r.message })}`;
    this.count++;
    return this.w.write(text);
  }

  async close(): Promise<void> {
    await this.w.write(this.count === 0 ? ']\n' : '\n]\n');
    await this.w.close();
  }
}
