import { deflateRawSync } from 'node:zlib';

/**
 * A tiny, independent DICOM encoder for synthetic data (PS3.5 §7, PS3.10 §7). It is deliberately
 * separate from @harbour/deid-dicom's writer so tests do not check the engine against itself.
 */
export interface SynthElement {
  readonly tag: number;
  readonly vr: string;
  /** Strings (joined with "\\"), raw bytes, or numbers encoded per the VR. */
  readonly value?: string | readonly string[] | Buffer | readonly number[];
  /** Sequence items. */
  readonly items?: readonly (readonly SynthElement[])[];
  /** Encapsulated pixel data fragments (the first is the Basic Offset Table). */
  readonly fragments?: readonly Buffer[];
}

export interface SynthEncoding {
  readonly explicit: boolean;
  readonly little: boolean;
  /** Sequences and items with undefined length and delimiters, or explicit lengths. */
  readonly undefinedLengths: boolean;
}

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEF = 0xffffffff;

function u16(n: number, little: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (little) b.writeUInt16LE(n);
  else b.writeUInt16BE(n);
  return b;
}
function u32(n: number, little: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (little) b.writeUInt32LE(n >>> 0);
  else b.writeUInt32BE(n >>> 0);
  return b;
}
function tagBytes(tag: number, little: boolean): Buffer {
  return Buffer.concat([u16(tag >>> 16, little), u16(tag & 0xffff, little)]);
}

export function encodeValue(el: SynthElement, little: boolean): Buffer {
  const v = el.value;
  if (v === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(v)) return v.length % 2 ? Buffer.concat([v, Buffer.alloc(1)]) : v;
  if (typeof v === 'string' || (Array.isArray(v) && typeof v[0] === 'string')) {
    const s = typeof v === 'string' ? v : (v as readonly string[]).join('\\');
    const b = Buffer.from(s, 'latin1');
    return b.length % 2 ? Buffer.concat([b, Buffer.from(el.vr === 'UI' ? '\0' : ' ')]) : b;
  }
  const nums = v as readonly number[];
  const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, AT: 4 }[el.vr] ?? 2;
  const b = Buffer.alloc(nums.length * size);
  nums.forEach((n, i) => {
    const o = i * size;
    switch (el.vr) {
      case 'SS':
        little ? b.writeInt16LE(n, o) : b.writeInt16BE(n, o);
        break;
      case 'UL':
        little ? b.writeUInt32LE(n, o) : b.writeUInt32BE(n, o);
        break;
      case 'SL':
        little ? b.writeInt32LE(n, o) : b.writeInt32BE(n, o);
        break;
      case 'FL':
        little ? b.writeFloatLE(n, o) : b.writeFloatBE(n, o);
        break;
      case 'FD':
        little ? b.writeDoubleLE(n, o) : b.writeDoubleBE(n, o);
        break;
      default:
        little ? b.writeUInt16LE(n, o) : b.writeUInt16BE(n, o);
    }
  });
  return b;
}

export function elementHeader(tag: number, vr: string, length: number, enc: Pick<SynthEncoding, 'explicit' | 'little'>): Buffer {
  const t = tagBytes(tag, enc.little);
  if (!enc.explicit) return Buffer.concat([t, u32(length, enc.little)]);
  if (LONG.has(vr)) return Buffer.concat([t, Buffer.from(vr, 'latin1'), Buffer.alloc(2), u32(length, enc.little)]);
  return Buffer.concat([t, Buffer.from(vr, 'latin1'), u16(length, enc.little)]);
}

export function encodeElements(elements: readonly SynthElement[], enc: SynthEncoding): Buffer {
  const parts: Buffer[] = [];
  const sorted = [...elements].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0));
  for (const el of sorted) {
    if (el.items) {
      const items = el.items.map((it) => {
        const body = encodeElements(it, enc);
        return enc.undefinedLengths
          ? Buffer.concat([
              tagBytes(0xfffee000, enc.little),
              u32(UNDEF, enc.little),
              body,
              tagBytes(0xfffee00d, enc.little),
              u32(0, enc.little),
            ])
          : Buffer.concat([tagBytes(0xfffee000, enc.little), u32(body.length, enc.little), body]);
      });
      const body = Buffer.concat(items);
      if (enc.undefinedLengths) {
        parts.push(elementHeader(el.tag, 'SQ', UNDEF, enc), body, tagBytes(0xfffee0dd, enc.little), u32(0, enc.little));
      } else parts.push(elementHeader(el.tag, 'SQ', body.length, enc), body);
    } else if (el.fragments) {
      parts.push(elementHeader(el.tag, el.vr, UNDEF, enc));
      for (const f of el.fragments) parts.push(tagBytes(0xfffee000, enc.little), u32(f.length, enc.little), f);
      parts.push(tagBytes(0xfffee0dd, enc.little), u32(0, enc.little));
    } else {
      const v = encodeValue(el, enc.little);
      parts.push(elementHeader(el.tag, el.vr, v.length, enc), v);
    }
  }
  return Buffer.concat(parts);
}

/** File Meta Information (PS3.10 §7.1), always Explicit VR Little Endian, with preamble and DICM. */
export function encodeFileMeta(
  sopClassUid: string,
  sopInstanceUid: string,
  transferSyntaxUid: string,
  extra: readonly SynthElement[] = [],
): Buffer {
  const enc: SynthEncoding = { explicit: true, little: true, undefinedLengths: false };
  const body = encodeElements(
    [
      { tag: 0x00020001, vr: 'OB', value: Buffer.from([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: sopClassUid },
      { tag: 0x00020003, vr: 'UI', value: sopInstanceUid },
      { tag: 0x00020010, vr: 'UI', value: transferSyntaxUid },
      { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.10.1337.1' },
      { tag: 0x00020013, vr: 'SH', value: 'SYNTH_1' },
      ...extra,
    ],
    enc,
  );
  const groupLength = encodeElements([{ tag: 0x00020000, vr: 'UL', value: [body.length] }], enc);
  const preamble = Buffer.alloc(128, 0x41); // non-zero on purpose: the de-identifier must zero it
  return Buffer.concat([preamble, Buffer.from('DICM'), groupLength, body]);
}

export const deflateDataset = (dataset: Buffer): Buffer => deflateRawSync(dataset);
