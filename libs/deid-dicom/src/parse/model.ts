/** Byte order and VR explicitness of an encoded dataset (PS3.5 §7.1, §7.3). */
export interface Encoding {
  readonly explicit: boolean;
  readonly little: boolean;
}

export const EXPLICIT_LE: Encoding = { explicit: true, little: true };
export const IMPLICIT_LE: Encoding = { explicit: false, little: true };
export const EXPLICIT_BE: Encoding = { explicit: true, little: false };

/** A byte range of the source, copied to the output in chunks and never held whole. */
export interface BulkRef {
  readonly offset: number;
  readonly length: number;
}

/** One data element. Exactly one of value / bulk / items / fragments describes its value. */
export interface DElement {
  tag: number;
  /** VR used for de-identification: explicit VR, or the dictionary VR (also for UN of known tags). */
  vr: string;
  /** VR as written in explicit encodings (may be UN); undefined for implicit VR. */
  writtenVr: string | undefined;
  undefinedLength: boolean;
  value?: Buffer;
  bulk?: BulkRef;
  items?: DItem[];
  /** Encoding of the items (Implicit VR LE for UN sequences, PS3.5 §6.2.2 note); else the parent's. */
  itemsEncoding?: Encoding;
  /** Encapsulated pixel data (PS3.5 §A.4): Basic Offset Table then fragments, each a byte range. */
  fragments?: BulkRef[];
}

/**
 * A new element with every field present: elements then share one object shape, so the property
 * reads of the engine and writer (run for every element of every file) stay monomorphic.
 */
export function newDElement(tag: number, vr: string, writtenVr: string | undefined, undefinedLength: boolean, value?: Buffer): DElement {
  return {
    tag,
    vr,
    writtenVr,
    undefinedLength,
    value,
    bulk: undefined,
    items: undefined,
    itemsEncoding: undefined,
    fragments: undefined,
  };
}

export interface DItem {
  elements: DElement[];
  undefinedLength: boolean;
}

/** VRs written with a 2-byte reserved field and 4-byte length in explicit VR (PS3.5 Table 7.1-1). */
export const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export const ALL_VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);

/** VR by its two bytes as written (first byte high), so the parser allocates no string per element. */
export const VR_BY_CODE: ReadonlyMap<number, string> = new Map([...ALL_VRS].map((vr) => [(vr.charCodeAt(0) << 8) | vr.charCodeAt(1), vr]));

export const BINARY_BULK_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
