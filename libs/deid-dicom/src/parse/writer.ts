import type { ByteSink } from '../io/sink.js';
import type { ByteSource } from '../io/source.js';
import { ITEM, ITEM_DELIMITATION, SEQUENCE_DELIMITATION } from '../dictionary/dictionary.js';
import { LONG_VRS, type BulkRef, type DElement, type DItem, type Encoding } from './model.js';

const UNDEFINED = 0xffffffff;

/** Values at least this long are passed on as their own chunk rather than copied into the header. */
const OWN_SEGMENT = 64 * 1024;

/**
 * Encoded output in order: bytes the encoder produced, or a byte range of the source (bulk values
 * and pixel fragments) that the sink copies, or hands over as a slice of an in-memory source.
 */
export type Segment = Buffer | BulkRef;

function headerSize(el: DElement, enc: Encoding): number {
  if (!enc.explicit) return 8;
  return LONG_VRS.has(el.writtenVr ?? el.vr) ? 12 : 8;
}

function itemsSize(items: readonly DItem[], enc: Encoding): number {
  let n = 0;
  for (const it of items) n += 8 + datasetSize(it.elements, enc) + (it.undefinedLength ? 8 : 0);
  return n;
}

/** Encoded length of an element's value (defined lengths recomputed after rewriting). */
export function valueSize(el: DElement, enc: Encoding): number {
  if (el.items) return itemsSize(el.items, el.itemsEncoding ?? enc) + (el.undefinedLength ? 8 : 0);
  if (el.fragments) return el.fragments.reduce((a, f) => a + 8 + f.length, 0) + 8;
  if (el.bulk) return el.bulk.length;
  return el.value?.length ?? 0;
}

/** Encoded length of a list of elements (used for the File Meta group length). */
export function datasetSize(elements: readonly DElement[], enc: Encoding): number {
  let n = 0;
  for (const el of elements) n += headerSize(el, enc) + valueSize(el, enc);
  return n;
}

/** A length field written before its value was known, filled in once the value is encoded. */
interface LengthMark {
  readonly buf: Buffer;
  readonly at: number;
  readonly wide: boolean;
  readonly little: boolean;
  /** Logical output offset where the value starts. */
  readonly start: number;
}

/**
 * Encodes data elements in one pass into a few large buffers. Defined lengths of sequences and
 * items are written as placeholders and patched when their content is complete, so sizes are not
 * computed separately (the former writer walked every sequence once per nesting level and issued
 * one small write per header). Bulk values stay references into the source.
 */
export class Encoder {
  private readonly segments: Segment[] = [];
  private buf: Buffer;
  private pos = 0;
  /** Start in `buf` of bytes not yet handed to `segments`. */
  private start = 0;
  /** Bytes in `segments` (buffers and source ranges). */
  private emitted = 0;

  /**
   * @param initialBytes the header of a typical instance fits; below 4 KiB, Buffer.allocUnsafe
   *   takes the memory from Node's shared pool instead of allocating a backing store per file.
   */
  constructor(initialBytes = 4000) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Logical offset in the output. */
  get length(): number {
    return this.emitted + this.pos - this.start;
  }

  private cut(): void {
    if (this.pos > this.start) {
      this.segments.push(this.buf.subarray(this.start, this.pos));
      this.emitted += this.pos - this.start;
    }
    this.start = this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.cut();
    // Earlier bytes stay where they are (marks may still patch them); continue in a new buffer.
    this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
    this.pos = 0;
    this.start = 0;
  }

  raw(b: Buffer): void {
    if (b.length >= OWN_SEGMENT) {
      this.cut();
      this.segments.push(b);
      this.emitted += b.length;
      return;
    }
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private source(ref: BulkRef): void {
    this.cut();
    if (ref.length === 0) return;
    this.segments.push(ref);
    this.emitted += ref.length;
  }

  // Byte stores rather than Buffer#writeUInt*: those validate their arguments on every call, and
  // the encoder writes a few hundred headers per instance.
  private u16(v: number, little: boolean): void {
    const b = this.buf;
    const p = this.pos;
    if (little) {
      b[p] = v & 0xff;
      b[p + 1] = (v >>> 8) & 0xff;
    } else {
      b[p] = (v >>> 8) & 0xff;
      b[p + 1] = v & 0xff;
    }
    this.pos += 2;
  }

  private u32(v: number, little: boolean): void {
    if (little) {
      this.u16(v & 0xffff, true);
      this.u16(v >>> 16, true);
    } else {
      this.u16(v >>> 16, false);
      this.u16(v & 0xffff, false);
    }
  }

  private tag(tag: number, little: boolean): void {
    this.u16(tag >>> 16, little);
    this.u16(tag & 0xffff, little);
  }

  /** Item, delimitation and implicit VR headers: tag and 4-byte length. */
  private tagHeader(tag: number, length: number, enc: Encoding): LengthMark | undefined {
    this.ensure(8);
    this.tag(tag, enc.little);
    const at = this.pos;
    this.u32(length, enc.little);
    return { buf: this.buf, at, wide: true, little: enc.little, start: this.length };
  }

  /** Element header (PS3.5 §7.1); returns where its length is, for a later patch. */
  private elementHeader(el: DElement, length: number, enc: Encoding): LengthMark {
    if (!enc.explicit) return this.tagHeader(el.tag, length, enc)!;
    const vr = el.writtenVr ?? el.vr;
    const long = LONG_VRS.has(vr);
    this.ensure(12);
    this.tag(el.tag, enc.little);
    this.buf[this.pos] = vr.charCodeAt(0);
    this.buf[this.pos + 1] = vr.charCodeAt(1);
    this.pos += 2;
    let at: number;
    if (long) {
      this.buf[this.pos] = 0;
      this.buf[this.pos + 1] = 0;
      this.pos += 2;
      at = this.pos;
      this.u32(length, enc.little);
    } else {
      if (length > 0xffff) throw new Error(`value too long for a short-length VR ${vr}`);
      at = this.pos;
      this.u16(length, enc.little);
    }
    return { buf: this.buf, at, wide: long, little: enc.little, start: this.length };
  }

  private patch(mark: LengthMark): void {
    const n = this.length - mark.start;
    if (mark.wide) {
      if (mark.little) mark.buf.writeUInt32LE(n >>> 0, mark.at);
      else mark.buf.writeUInt32BE(n >>> 0, mark.at);
    } else {
      if (n > 0xffff) throw new Error('value too long for a short-length VR');
      if (mark.little) mark.buf.writeUInt16LE(n, mark.at);
      else mark.buf.writeUInt16BE(n, mark.at);
    }
  }

  /** Encode elements; bulk values and fragments become source ranges. */
  elements(elements: readonly DElement[], enc: Encoding): void {
    for (const el of elements) {
      if (el.items) {
        const ienc = el.itemsEncoding ?? enc;
        const mark = this.elementHeader(el, el.undefinedLength ? UNDEFINED : 0, enc);
        for (const it of el.items) {
          const itemMark = this.tagHeader(ITEM, it.undefinedLength ? UNDEFINED : 0, ienc)!;
          this.elements(it.elements, ienc);
          if (it.undefinedLength) this.tagHeader(ITEM_DELIMITATION, 0, ienc);
          else this.patch(itemMark);
        }
        if (el.undefinedLength) this.tagHeader(SEQUENCE_DELIMITATION, 0, ienc);
        else this.patch(mark);
      } else if (el.fragments) {
        const mark = this.elementHeader(el, el.undefinedLength ? UNDEFINED : 0, enc);
        for (const f of el.fragments) {
          this.tagHeader(ITEM, f.length, enc);
          this.source(f);
        }
        // Encapsulated pixel data always ends with a delimiter (PS3.5 §A.4), counted in a defined length.
        this.tagHeader(SEQUENCE_DELIMITATION, 0, enc);
        if (!el.undefinedLength) this.patch(mark);
      } else if (el.bulk) {
        this.elementHeader(el, el.bulk.length, enc);
        this.source(el.bulk);
      } else {
        const v = el.value;
        this.elementHeader(el, v?.length ?? 0, enc);
        if (v && v.length > 0) this.raw(v);
      }
    }
  }

  /** The encoded output; the encoder must not be used afterwards. */
  finish(): Segment[] {
    this.cut();
    return this.segments;
  }
}

/** Hand encoded segments to a sink: buffers as they are, source ranges copied in bounded chunks. */
export async function writeSegments(sink: ByteSink, src: ByteSource, segments: readonly Segment[]): Promise<void> {
  for (const s of segments) {
    if (Buffer.isBuffer(s)) await sink.write(s);
    else await sink.copyFrom(src, s.offset, s.length);
  }
}
