import { DicomRejection } from '../errors.js';
import { Cursor, type ByteSource } from '../io/source.js';
import { ALL_VRS, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, LONG_VRS, type DElement, type Encoding } from './model.js';
import { parseElements, type ParseOptions } from './parser.js';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
} as const;

export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly encoding: Encoding;
  readonly deflated: boolean;
  readonly encapsulated: boolean;
}

/**
 * Transfer syntaxes of PS3.5 §10 and Annex A. Every compressed syntax (JPEG family .4.x, RLE,
 * MPEG/HEVC video, JPEG-LS, JPEG 2000, HTJ2K, JPEG XL) is Explicit VR Little Endian with
 * encapsulated pixel data, so one rule covers them; private syntaxes are refused.
 */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | undefined {
  switch (uid) {
    case TS.implicitLE:
      return { uid, encoding: IMPLICIT_LE, deflated: false, encapsulated: false };
    case TS.explicitLE:
      return { uid, encoding: EXPLICIT_LE, deflated: false, encapsulated: false };
    case TS.explicitBE:
      return { uid, encoding: EXPLICIT_BE, deflated: false, encapsulated: false };
    case TS.deflatedLE:
      return { uid, encoding: EXPLICIT_LE, deflated: true, encapsulated: false };
    case TS.rle:
      return { uid, encoding: EXPLICIT_LE, deflated: false, encapsulated: true };
    default:
      if (/^1\.2\.840\.10008\.1\.2\.4\.\d+$/.test(uid)) return { uid, encoding: EXPLICIT_LE, deflated: false, encapsulated: true };
      return undefined;
  }
}

/** Trimmed string value of a (small) element: strips NUL and space padding (PS3.5 §6.2). */
export function stringValue(el: DElement | undefined, latin1 = true): string | undefined {
  if (!el?.value) return undefined;
  return el.value
    .toString(latin1 ? 'latin1' : 'utf8')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
}

export function find(elements: readonly DElement[], tag: number): DElement | undefined {
  for (const el of elements) if (el.tag === tag) return el;
  return undefined;
}

export interface Part10Header {
  meta: DElement[];
  ts: TransferSyntaxInfo;
  /** Byte offset where the dataset starts (after the File Meta Information). */
  datasetOffset: number;
}

function looksLikeRawDataset(head: Buffer): boolean {
  // A dataset without preamble usually starts with a group 0002 or 0008 element (PS3.10 §7.1).
  if (head.length < 8) return false;
  const group = head.readUInt16LE(0);
  return group === 0x0002 || group === 0x0008;
}

/**
 * PS3.10 §7.1: 128-byte preamble, "DICM", then File Meta Information in Explicit VR Little
 * Endian (group 0002). Classifies what is not a Part 10 file.
 */
export async function readPart10Header(src: ByteSource): Promise<Part10Header> {
  if (src.size === 0) throw new DicomRejection('empty_file', 'file is empty');
  const head = await src.read(0, Math.min(src.size, 132));
  if (src.size < 132 || head.toString('latin1', 128, 132) !== 'DICM') {
    if (looksLikeRawDataset(head)) {
      throw new DicomRejection('missing_part10_header', 'no "DICM" prefix at byte 128: not a Part 10 file');
    }
    if (src.size < 132 && head.every((b) => b === 0)) throw new DicomRejection('truncated', 'file ends inside the preamble');
    throw new DicomRejection('not_dicom', 'no "DICM" prefix at byte 128');
  }
  const c = new Cursor(src, 132);
  const meta: DElement[] = [];
  // Parse group 0002 element by element; the group length is not trusted (writers get it wrong).
  for (;;) {
    if (c.pos + 4 > src.size) break;
    if (!c.has(4)) await c.fill(4);
    const group = c.u16(true);
    c.pos -= 2;
    if (group !== 0x0002) break;
    const one: DElement[] = [];
    await parseOne(c, one);
    meta.push(...one);
  }
  if (meta.length === 0) throw new DicomRejection('not_dicom', 'no File Meta Information after "DICM"');
  const tsUid = stringValue(find(meta, 0x00020010));
  if (!tsUid) throw new DicomRejection('unsupported_transfer_syntax', 'File Meta Information has no Transfer Syntax UID');
  const ts = transferSyntaxInfo(tsUid);
  if (!ts)
    throw new DicomRejection(
      'unsupported_transfer_syntax',
      `transfer syntax ${/^[0-9.]{1,64}$/.test(tsUid) ? tsUid : '(malformed)'} is not supported`,
    );
  return { meta, ts, datasetOffset: c.pos };
}

async function parseOne(c: Cursor, out: DElement[]): Promise<void> {
  // Parse exactly one explicit VR LE element by giving parseElements a limit that ends after it.
  if (!c.has(8)) await c.fill(8);
  const start = c.pos;
  c.pos += 4;
  const long = LONG_VRS.has(c.ascii2());
  let len: number;
  let headerLen: number;
  if (long) {
    c.pos = start;
    if (!c.has(12)) await c.fill(12);
    c.pos = start + 8;
    len = c.u32(true);
    headerLen = 12;
  } else {
    len = c.u16(true);
    headerLen = 8;
  }
  c.pos = start;
  if (len === 0xffffffff) throw new DicomRejection('invalid_length', 'undefined length in File Meta Information');
  await parseElements(c, EXPLICIT_LE, { end: start + headerLen + len, depth: 0 }, out);
}

/**
 * Some writers declare Explicit VR Little Endian (or an encapsulated syntax) in the File Meta
 * Information but encode the dataset in Implicit VR Little Endian. Real archives contain such
 * files; like DCMTK and pydicom, detect it from the first element: if its "VR" bytes are not a VR
 * while an implicit reading gives a sane length, read the dataset as implicit. The output is
 * written in the declared syntax, which repairs the file.
 */
export async function sniffDatasetEncoding(src: ByteSource, offset: number, declared: Encoding): Promise<Encoding> {
  if (!declared.explicit || !declared.little || src.size < offset + 8) return declared;
  const c = new Cursor(src, offset);
  await c.fill(8);
  c.pos += 4;
  const vr = c.ascii2();
  if (ALL_VRS.has(vr)) return declared;
  c.pos -= 2;
  const len = c.u32(true);
  return len === 0xffffffff || offset + 8 + len <= src.size ? IMPLICIT_LE : declared;
}

/** After reading with a sniffed encoding, make every nested item follow the declared one. */
export function normaliseEncoding(elements: DElement[], from: Encoding, to: Encoding): void {
  if (from === to) return;
  for (const el of elements) {
    if (el.itemsEncoding === from) el.itemsEncoding = to;
    if (el.items) for (const item of el.items) normaliseEncoding(item.elements, from, to);
  }
}

/** Parse the dataset of a source starting at `offset` with the given encoding. */
export async function parseDataset(src: ByteSource, offset: number, enc: Encoding, opts: ParseOptions = {}): Promise<DElement[]> {
  const c = new Cursor(src, offset);
  const out: DElement[] = [];
  await parseElements(c, enc, { end: src.size, depth: 0 }, out, opts);
  return out;
}
