import type { ByteSink } from '../io/sink.js';
import type { ByteSource } from '../io/source.js';
import { ITEM, ITEM_DELIMITATION, SEQUENCE_DELIMITATION } from '../dictionary/dictionary.js';
import { LONG_VRS, type DElement, type DItem, type Encoding } from './model.js';

const UNDEFINED = 0xffffffff;

function headerSize(el: DElement, enc: Encoding): number {
  if (!enc.explicit) return 8;
  return LONG_VRS.has(el.writtenVr ?? el.vr) ? 12 : 8;
}

const sizes = new WeakMap<object, number>();

function itemsSize(items: readonly DItem[], enc: Encoding): number {
  let n = 0;
  for (const it of items) n += 8 + datasetSize(it.elements, enc) + (it.undefinedLength ? 8 : 0);
  return n;
}

/** Encoded length of an element's value, recomputed after rewriting (defined lengths stay defined). */
export function valueSize(el: DElement, enc: Encoding): number {
  const cached = sizes.get(el);
  if (cached !== undefined) return cached;
  let n: number;
  if (el.items) n = itemsSize(el.items, el.itemsEncoding ?? enc) + (el.undefinedLength ? 8 : 0);
  else if (el.fragments) n = el.fragments.reduce((a, f) => a + 8 + f.length, 0) + 8;
  else if (el.bulk) n = el.bulk.length;
  else n = el.value?.length ?? 0;
  sizes.set(el, n);
  return n;
}

export function datasetSize(elements: readonly DElement[], enc: Encoding): number {
  let n = 0;
  for (const el of elements) n += headerSize(el, enc) + valueSize(el, enc);
  return n;
}

function tagHeader(tag: number, length: number, enc: Encoding): Buffer {
  const b = Buffer.allocUnsafe(8);
  if (enc.little) {
    b.writeUInt16LE(tag >>> 16, 0);
    b.writeUInt16LE(tag & 0xffff, 2);
    b.writeUInt32LE(length >>> 0, 4);
  } else {
    b.writeUInt16BE(tag >>> 16, 0);
    b.writeUInt16BE(tag & 0xffff, 2);
    b.writeUInt32BE(length >>> 0, 4);
  }
  return b;
}

export function elementHeader(el: DElement, length: number, enc: Encoding): Buffer {
  if (!enc.explicit) return tagHeader(el.tag, length, enc);
  const vr = el.writtenVr ?? el.vr;
  const long = LONG_VRS.has(vr);
  const b = Buffer.alloc(long ? 12 : 8);
  if (enc.little) {
    b.writeUInt16LE(el.tag >>> 16, 0);
    b.writeUInt16LE(el.tag & 0xffff, 2);
  } else {
    b.writeUInt16BE(el.tag >>> 16, 0);
    b.writeUInt16BE(el.tag & 0xffff, 2);
  }
  b.write(vr, 4, 'latin1');
  if (long) {
    if (enc.little) b.writeUInt32LE(length >>> 0, 8);
    else b.writeUInt32BE(length >>> 0, 8);
  } else {
    if (length > 0xffff) throw new Error(`value too long for a short-length VR ${vr}`);
    if (enc.little) b.writeUInt16LE(length, 6);
    else b.writeUInt16BE(length, 6);
  }
  return b;
}

/** Write elements to the sink; bulk values and fragments are streamed from `src` in chunks. */
export async function writeDataset(sink: ByteSink, src: ByteSource, elements: readonly DElement[], enc: Encoding): Promise<void> {
  for (const el of elements) {
    const undef = el.undefinedLength && (el.items !== undefined || el.fragments !== undefined);
    await sink.write(elementHeader(el, undef ? UNDEFINED : valueSize(el, enc), enc));
    if (el.items) {
      const ienc = el.itemsEncoding ?? enc;
      for (const it of el.items) {
        await sink.write(tagHeader(ITEM, it.undefinedLength ? UNDEFINED : datasetSize(it.elements, ienc), ienc));
        await writeDataset(sink, src, it.elements, ienc);
        if (it.undefinedLength) await sink.write(tagHeader(ITEM_DELIMITATION, 0, ienc));
      }
      if (el.undefinedLength) await sink.write(tagHeader(SEQUENCE_DELIMITATION, 0, ienc));
    } else if (el.fragments) {
      for (const f of el.fragments) {
        await sink.write(tagHeader(ITEM, f.length, enc));
        if (f.length > 0) await sink.copyFrom(src, f.offset, f.length);
      }
      await sink.write(tagHeader(SEQUENCE_DELIMITATION, 0, enc));
    } else if (el.bulk) {
      await sink.copyFrom(src, el.bulk.offset, el.bulk.length);
    } else if (el.value && el.value.length > 0) {
      await sink.write(el.value);
    }
  }
}
