import { DicomRejection, tagString } from '../errors.js';
import { ITEM, ITEM_DELIMITATION, PIXEL_DATA, SEQUENCE_DELIMITATION, standardVr } from '../dictionary/dictionary.js';
import { type Cursor } from '../io/source.js';
import { BINARY_BULK_VRS, IMPLICIT_LE, LONG_VRS, newDElement, VR_BY_CODE, type DElement, type DItem, type Encoding } from './model.js';

const UNDEFINED = 0xffffffff;
/** Binary values above this size are referenced, not read: memory must not grow with pixel data. */
export const BULK_THRESHOLD = 256 * 1024;
const MAX_DEPTH = 32;

export interface ParseOptions {
  /** Stop at Pixel Data without scanning it (header indexing). */
  readonly stopAtPixelData?: boolean;
}

interface Limit {
  /** Absolute end of the enclosing value, or -1 when it ends with a delimiter. */
  readonly end: number;
  readonly depth: number;
}

function vrForImplicit(tag: number): string {
  const group = tag >>> 16;
  const elem = tag & 0xffff;
  if (group % 2 === 1) return elem >= 0x10 && elem <= 0xff ? 'LO' : 'UN'; // private creator is LO (PS3.5 §7.8.1)
  return standardVr(tag) ?? 'UN';
}

function checkRange(c: Cursor, length: number, limit: Limit, tag: number): void {
  const end = c.pos + length;
  if (limit.end >= 0 && end > limit.end) {
    if (end > c.size && limit.end >= c.size) throw new DicomRejection('truncated', `value of ${tagString(tag)} runs past end of file`);
    throw new DicomRejection('invalid_length', `value of ${tagString(tag)} overruns its container at byte ${c.pos}`);
  }
  if (end > c.size) throw new DicomRejection('truncated', `value of ${tagString(tag)} runs past end of file`);
}

/**
 * Parse data elements until `limit.end` (defined length) or an Item Delimitation Item (undefined
 * length item, PS3.5 §7.5.2). Returns true when ended by a delimiter.
 */
export async function parseElements(c: Cursor, enc: Encoding, limit: Limit, out: DElement[], opts: ParseOptions = {}): Promise<boolean> {
  if (limit.depth > MAX_DEPTH) throw new DicomRejection('invalid_encoding', 'sequences nested too deeply');
  for (;;) {
    if (limit.end >= 0) {
      if (c.pos === limit.end) return false;
      if (c.pos > limit.end) throw new DicomRejection('invalid_length', `element overruns its container at byte ${c.pos}`);
    } else if (c.pos >= c.size) {
      throw new DicomRejection('truncated', 'file ends inside an undefined-length item');
    }
    if (!c.has(8)) await c.fill(8);
    const group = c.u16(enc.little);
    const elem = c.u16(enc.little);
    const tag = ((group << 16) | elem) >>> 0;

    if (group === 0xfffe) {
      const len = c.u32(enc.little);
      if (tag === ITEM_DELIMITATION && limit.end < 0 && limit.depth > 0) {
        if (len !== 0) throw new DicomRejection('invalid_length', 'item delimitation item with non-zero length');
        return true;
      }
      throw new DicomRejection('invalid_encoding', `unexpected ${tagString(tag)} at byte ${c.pos - 8}`);
    }

    let vr: string;
    let writtenVr: string | undefined;
    let length: number;
    if (enc.explicit) {
      const known = VR_BY_CODE.get(c.code2());
      if (known === undefined) {
        throw new DicomRejection('invalid_encoding', `invalid VR for ${tagString(tag)} at byte ${c.pos - 6}`);
      }
      writtenVr = known;
      if (LONG_VRS.has(writtenVr)) {
        if (!c.has(6)) await c.fill(6);
        c.pos += 2; // reserved
        length = c.u32(enc.little);
      } else {
        length = c.u16(enc.little);
      }
      vr = writtenVr;
      if (vr === 'UN' && group % 2 === 0) {
        // A known standard element sent as UN (PS3.5 §6.2.2): de-identify it by its real VR.
        vr = standardVr(tag) ?? 'UN';
      }
    } else {
      length = c.u32(enc.little);
      vr = vrForImplicit(tag);
    }

    const el = newDElement(tag, vr, writtenVr, length === UNDEFINED);

    if (length === UNDEFINED) {
      if (tag === PIXEL_DATA && vr !== 'SQ') {
        if (opts.stopAtPixelData && limit.depth === 0) {
          out.push(el);
          return false;
        }
        el.fragments = await parseFragments(c, enc);
      } else if (vr === 'SQ' || !enc.explicit || writtenVr === 'UN') {
        // Undefined length is only legal for SQ, encapsulated pixel data, and UN whose content is
        // then an Implicit VR Little Endian sequence (PS3.5 §6.2.2, §7.5.1).
        const itemsEnc = writtenVr === 'UN' ? IMPLICIT_LE : enc;
        el.vr = 'SQ';
        el.itemsEncoding = itemsEnc;
        el.items = await parseItems(c, itemsEnc, { end: -1, depth: limit.depth + 1 });
      } else {
        throw new DicomRejection('invalid_length', `undefined length on ${writtenVr} element ${tagString(tag)}`);
      }
      out.push(el);
      continue;
    }

    checkRange(c, length, limit, tag);
    if (opts.stopAtPixelData && tag === PIXEL_DATA && limit.depth === 0) {
      out.push(el);
      return false;
    }
    if (vr === 'SQ') {
      el.itemsEncoding = writtenVr === 'UN' ? IMPLICIT_LE : enc;
      const start = c.pos;
      try {
        el.items = await parseItems(c, el.itemsEncoding, { end: c.pos + length, depth: limit.depth + 1 });
      } catch (e) {
        if (writtenVr !== 'UN' || !(e instanceof DicomRejection)) throw e;
        // A UN value that does not parse as a sequence: keep it opaque; the engine removes it.
        c.pos = start;
        el.vr = 'UN';
        el.items = undefined;
        el.itemsEncoding = undefined;
        el.value = await c.bytes(length);
      }
    } else if (length > BULK_THRESHOLD && (BINARY_BULK_VRS.has(vr) || tag >>> 16 === 0x7fe0)) {
      el.bulk = { offset: c.pos, length };
      c.pos += length;
    } else {
      // In-memory sources always have the value in the window: no await (one microtask) per element.
      el.value = c.has(length) ? c.take(length) : await c.bytes(length);
    }
    out.push(el);
  }
}

/** Items of a sequence (PS3.5 §7.5), defined or undefined length, each defined or undefined. */
async function parseItems(c: Cursor, enc: Encoding, limit: Limit): Promise<DItem[]> {
  const items: DItem[] = [];
  for (;;) {
    if (limit.end >= 0) {
      if (c.pos === limit.end) return items;
      if (c.pos > limit.end) throw new DicomRejection('invalid_length', `sequence item overruns its sequence at byte ${c.pos}`);
    }
    if (!c.has(8)) await c.fill(8);
    const group = c.u16(enc.little);
    const elem = c.u16(enc.little);
    const tag = ((group << 16) | elem) >>> 0;
    const len = c.u32(enc.little);
    if (tag === SEQUENCE_DELIMITATION) {
      if (limit.end >= 0) {
        // Tolerated: some writers close defined-length sequences with a delimiter too.
        continue;
      }
      return items;
    }
    if (tag !== ITEM) throw new DicomRejection('invalid_encoding', `expected an item, found ${tagString(tag)} at byte ${c.pos - 8}`);
    const elements: DElement[] = [];
    if (len === UNDEFINED) {
      await parseElements(c, enc, { end: -1, depth: limit.depth }, elements);
      items.push({ elements, undefinedLength: true });
    } else {
      if (limit.end >= 0 && c.pos + len > limit.end) {
        throw new DicomRejection(c.pos + len > c.size ? 'truncated' : 'invalid_length', `item overruns its sequence at byte ${c.pos}`);
      }
      if (c.pos + len > c.size) throw new DicomRejection('truncated', 'item runs past end of file');
      await parseElements(c, enc, { end: c.pos + len, depth: limit.depth }, elements);
      items.push({ elements, undefinedLength: false });
    }
  }
}

/**
 * Encapsulated Pixel Data (PS3.5 §A.4): a sequence of items, the first the Basic Offset Table,
 * each with a defined length, closed by a Sequence Delimitation Item. Only positions are kept.
 */
async function parseFragments(c: Cursor, enc: Encoding): Promise<{ offset: number; length: number }[]> {
  const frags: { offset: number; length: number }[] = [];
  for (;;) {
    if (!c.has(8)) await c.fill(8);
    const group = c.u16(enc.little);
    const elem = c.u16(enc.little);
    const tag = ((group << 16) | elem) >>> 0;
    const len = c.u32(enc.little);
    if (tag === SEQUENCE_DELIMITATION) return frags;
    if (tag !== ITEM) throw new DicomRejection('invalid_encoding', `expected a pixel data fragment at byte ${c.pos - 8}`);
    if (len === UNDEFINED) throw new DicomRejection('invalid_length', 'pixel data fragment with undefined length');
    if (c.pos + len > c.size) throw new DicomRejection('truncated', 'pixel data fragment runs past end of file');
    frags.push({ offset: c.pos, length: len });
    c.pos += len;
  }
}
