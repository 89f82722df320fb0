import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { formatNhsNumber, nhsCheckDigit } from '@harbour/nhs';
import { deflateDataset, elementHeader, encodeElements, encodeFileMeta, type SynthElement, type SynthEncoding } from './encoder.js';

export type SyntheticTransferSyntax =
  | 'explicit-le'
  | 'implicit-le'
  | 'explicit-be'
  | 'deflated'
  | 'jpeg-baseline'
  | 'jpeg-ls'
  | 'jpeg-ls-near'
  | 'jpeg2000'
  | 'jpeg2000-lossy'
  | 'rle';

/** PS3.5 §10 / PS3.6 Annex A transfer syntax UIDs. */
export const TRANSFER_SYNTAX_UIDS: Readonly<Record<SyntheticTransferSyntax, string>> = {
  'implicit-le': '1.2.840.10008.1.2',
  'explicit-le': '1.2.840.10008.1.2.1',
  'explicit-be': '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99',
  'jpeg-baseline': '1.2.840.10008.1.2.4.50',
  'jpeg-ls': '1.2.840.10008.1.2.4.80',
  'jpeg-ls-near': '1.2.840.10008.1.2.4.81',
  jpeg2000: '1.2.840.10008.1.2.4.90',
  'jpeg2000-lossy': '1.2.840.10008.1.2.4.91',
  rle: '1.2.840.10008.1.2.5',
};

const ENCAPSULATED = new Set<SyntheticTransferSyntax>(['jpeg-baseline', 'jpeg-ls', 'jpeg-ls-near', 'jpeg2000', 'jpeg2000-lossy', 'rle']);

export const SOP_CLASS = {
  ct: '1.2.840.10008.5.1.4.1.1.2',
  mr: '1.2.840.10008.5.1.4.1.1.4',
  us: '1.2.840.10008.5.1.4.1.1.6.1',
  sc: '1.2.840.10008.5.1.4.1.1.7',
  sr: '1.2.840.10008.5.1.4.1.1.88.22', // Enhanced SR
  multiframe: '1.2.840.10008.5.1.4.1.1.2.1', // Enhanced CT
} as const;

export type SyntheticKind = keyof typeof SOP_CLASS;

/**
 * Identifiers planted in every synthetic instance (unless overridden), so tests can assert that
 * none of them survives de-identification anywhere in the output bytes.
 */
export const PLANTED = {
  patientName: 'QUIXLEY^ZEBEDEE^ORLANDO',
  otherPatientName: 'VANTABLACK^ISOLDE',
  birthName: 'FENWICKHAM^ISOLDE',
  mothersName: 'PRENDERGHAST^MARISOL',
  referringPhysician: 'KILLINGWORTH^AUGUSTINE^DR',
  performingPhysician: 'BRACKENBURY^THEODORA',
  operator: 'WHITTLESTONE^JASPER',
  readingPhysician: 'MONTMORENCY^LUCRETIA',
  institution: 'St Swithuns Infirmary Barchester',
  department: 'Radiology Wing Q',
  address: '42 Larkspur Crescent, Barchester BC4 9ZZ',
  phone: '01632 960123',
  email: 'zebedee.quixley@example.org',
  mrn: 'MRN77031945',
  accession: 'ACC5551234',
  stationName: 'CTSCANNER7',
  deviceSerial: 'SN-XQ-88812',
  birthDate: '19580317',
  studyDate: '20230614',
  studyComment: 'Follow-up for Zebedee Quixley, seen 14/06/2023, call 01632 960123',
  privateCreator: 'ACME_SYNTH_PRIVATE',
} as const;

export interface SyntheticPatient {
  readonly name: string;
  /** Canonical NHS number (999 test range recommended). */
  readonly nhsNumber?: string;
  /** Where the NHS number is carried; 'none' leaves only the MRN (resolver needed). */
  readonly nhsIn: 'patientId' | 'patientIdSpaced' | 'otherPatientIdsSequence' | 'otherPatientIds' | 'none';
  /** Issuer written next to the NHS number in the Other Patient IDs Sequence. */
  readonly nhsIssuer: string;
  readonly mrn: string;
  readonly birthDate: string;
  readonly sex: 'M' | 'F' | 'O';
}

export interface DicomInstanceSpec {
  readonly seed?: number;
  readonly kind?: SyntheticKind;
  readonly transferSyntax?: SyntheticTransferSyntax;
  readonly patient?: Partial<SyntheticPatient>;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly sopInstanceUid?: string;
  readonly frameOfReferenceUid?: string;
  readonly studyDate?: string;
  readonly instanceNumber?: number;
  readonly rows?: number;
  readonly columns?: number;
  /** Frames (multi-frame kinds); 1 otherwise. */
  readonly frames?: number;
  /** Undefined-length sequences/items with delimiters (default) or explicit lengths. */
  readonly sequenceLengths?: 'undefined' | 'defined';
  /** Value of Burned In Annotation (0028,0301); omitted when undefined. */
  readonly burnedInAnnotation?: 'YES' | 'NO';
  /** Plant identifiers in nested sequences, private tags, overlays, curves, icon, free text (default all true). */
  readonly plant?: {
    readonly nested?: boolean;
    readonly privateTags?: boolean;
    readonly overlay?: boolean;
    readonly curve?: boolean;
    readonly icon?: boolean;
    readonly freeText?: boolean;
  };
  /** SOP Instance UIDs this instance references (Referenced Image / Source Image Sequence). */
  readonly referencedSopInstanceUids?: readonly string[];
  /** Extra elements, replacing generated ones with the same tag. */
  readonly extra?: readonly SynthElement[];
}

/** Deterministic PRNG (mulberry32): same seed, same bytes, in every process. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A valid NHS number in the 999 range reserved for testing (never issued to people). */
export function syntheticNhsNumber(seed: number): string {
  const r = rng(seed ^ 0x5eed);
  for (;;) {
    const six = String(Math.floor(r() * 1e6)).padStart(6, '0');
    const nine = `999${six}`;
    const check = nhsCheckDigit(nine);
    if (check !== undefined) return `${nine}${check}`;
  }
}

/** Synthetic UID under a fixed example root, deterministic in (seed, purpose, n). */
export const syntheticUid = (seed: number, purpose: number, n = 0): string => `1.2.826.0.1.3680043.10.1337.${seed >>> 0}.${purpose}.${n}`;

interface Plan {
  meta: Buffer;
  /** Dataset bytes before Pixel Data (or the whole dataset when there is none). */
  head: Buffer;
  pixel?: { vr: string; frameBytes: number; frames: number; encapsulated: boolean };
  tail: Buffer;
  enc: SynthEncoding;
  deflated: boolean;
  seed: number;
}

const S = (tag: number, vr: string, value: SynthElement['value']): SynthElement => ({ tag, vr, value });
const Q = (tag: number, items: readonly (readonly SynthElement[])[]): SynthElement => ({ tag, vr: 'SQ', items });
const code = (value: string, scheme: string, meaning: string): SynthElement[] => [
  S(0x00080100, 'SH', value),
  S(0x00080102, 'SH', scheme),
  S(0x00080104, 'LO', meaning),
];

function buildElements(
  spec: DicomInstanceSpec,
  seed: number,
): { elements: SynthElement[]; sopClass: string; sopInstance: string; pixel?: Plan['pixel'] } {
  const kind = spec.kind ?? 'ct';
  const ts = spec.transferSyntax ?? 'explicit-le';
  const plant = { nested: true, privateTags: true, overlay: true, curve: true, icon: true, freeText: true, ...spec.plant };
  const nhs = spec.patient?.nhsNumber ?? syntheticNhsNumber(seed);
  const p: SyntheticPatient = {
    name: PLANTED.patientName,
    nhsIn: 'patientId',
    nhsIssuer: 'NHS',
    mrn: PLANTED.mrn,
    birthDate: PLANTED.birthDate,
    sex: 'F',
    ...spec.patient,
    nhsNumber: nhs,
  };
  const studyUid = spec.studyInstanceUid ?? syntheticUid(seed, 1);
  const seriesUid = spec.seriesInstanceUid ?? syntheticUid(seed, 2);
  const sopInstance = spec.sopInstanceUid ?? syntheticUid(seed, 3, spec.instanceNumber ?? 1);
  const forUid = spec.frameOfReferenceUid ?? syntheticUid(seed, 4);
  const sopClass = SOP_CLASS[kind];
  const modality = { ct: 'CT', mr: 'MR', us: 'US', sc: 'OT', sr: 'SR', multiframe: 'CT' }[kind];
  const studyDate = spec.studyDate ?? PLANTED.studyDate;

  const patientId = p.nhsIn === 'patientId' ? nhs : p.nhsIn === 'patientIdSpaced' ? formatNhsNumber(nhs) : p.mrn;
  const els: SynthElement[] = [
    S(0x00080005, 'CS', 'ISO_IR 100'),
    S(0x00080008, 'CS', ['ORIGINAL', 'PRIMARY', 'AXIAL']),
    S(0x00080012, 'DA', studyDate),
    S(0x00080013, 'TM', '101500'),
    S(0x00080016, 'UI', sopClass),
    S(0x00080018, 'UI', sopInstance),
    S(0x00080020, 'DA', studyDate),
    S(0x00080021, 'DA', studyDate),
    S(0x00080022, 'DA', studyDate),
    S(0x00080023, 'DA', studyDate),
    S(0x0008002a, 'DT', `${studyDate}101502.123456+0100`),
    S(0x00080030, 'TM', '101500'),
    S(0x00080050, 'SH', PLANTED.accession),
    S(0x00080060, 'CS', modality),
    S(0x00080070, 'LO', 'SYNTHETIC MEDICAL'),
    S(0x00080080, 'LO', PLANTED.institution),
    S(0x00080081, 'ST', PLANTED.address),
    S(0x00080090, 'PN', PLANTED.referringPhysician),
    S(0x00080092, 'ST', PLANTED.address),
    S(0x00080094, 'SH', PLANTED.phone),
    S(0x00081010, 'SH', PLANTED.stationName),
    S(0x00081030, 'LO', `Study for ${p.name.replace(/\^/g, ' ')}`),
    S(0x0008103e, 'LO', 'AXIAL 5MM'),
    S(0x00081040, 'LO', PLANTED.department),
    S(0x00081050, 'PN', PLANTED.performingPhysician),
    S(0x00081060, 'PN', PLANTED.readingPhysician),
    S(0x00081070, 'PN', PLANTED.operator),
    S(0x00100010, 'PN', p.name),
    S(0x00100020, 'LO', patientId),
    S(0x00100030, 'DA', p.birthDate),
    S(0x00100040, 'CS', p.sex),
    S(0x00101001, 'PN', PLANTED.otherPatientName),
    S(0x00101005, 'PN', PLANTED.birthName),
    S(0x00101010, 'AS', '065Y'),
    S(0x00101020, 'DS', '1.68'),
    S(0x00101030, 'DS', '71.5'),
    S(0x00101040, 'LO', PLANTED.address),
    S(0x00101060, 'PN', PLANTED.mothersName),
    S(0x00102154, 'SH', PLANTED.phone),
    S(0x00181000, 'LO', PLANTED.deviceSerial),
    S(0x00181030, 'LO', 'CHEST ROUTINE'),
    S(0x0020000d, 'UI', studyUid),
    S(0x0020000e, 'UI', seriesUid),
    S(0x00200010, 'SH', 'STUDY42'),
    S(0x00200011, 'IS', '3'),
    S(0x00200013, 'IS', String(spec.instanceNumber ?? 1)),
    S(0x00200052, 'UI', forUid),
  ];
  if (p.nhsIn === 'otherPatientIdsSequence') {
    els.push(
      Q(0x00101002, [
        [S(0x00100020, 'LO', p.mrn), S(0x00100021, 'LO', 'RXX01'), S(0x00100022, 'CS', 'TEXT')],
        [S(0x00100020, 'LO', nhs), S(0x00100021, 'LO', p.nhsIssuer), S(0x00100022, 'CS', 'TEXT')],
      ]),
    );
  } else if (p.nhsIn === 'otherPatientIds') {
    els.push(S(0x00101000, 'LO', [p.mrn, nhs]));
  } else {
    els.push(Q(0x00101002, [[S(0x00100020, 'LO', p.mrn), S(0x00100021, 'LO', 'RXX01')]]));
  }
  if (plant.freeText) {
    els.push(S(0x00204000, 'LT', `${PLANTED.studyComment}; NHS ${formatNhsNumber(nhs)}; ${PLANTED.email}`));
    els.push(S(0x00104000, 'LT', `Patient ${p.name} lives at ${PLANTED.address}`));
    els.push(S(0x00324000, 'LT', `Reported by ${PLANTED.readingPhysician} on 2023-06-14`));
  }
  if (plant.nested) {
    els.push(
      Q(0x00400275, [
        [
          S(0x00080050, 'SH', PLANTED.accession),
          S(0x00321032, 'PN', PLANTED.referringPhysician),
          S(0x00321060, 'LO', `Requested by ${PLANTED.referringPhysician}`),
          S(0x00401001, 'SH', 'RP99812'),
          S(0x00400009, 'SH', 'SPS7781'),
          Q(0x00081110, [[S(0x00081150, 'UI', '1.2.840.10008.3.1.2.3.1'), S(0x00081155, 'UI', studyUid)]]),
          Q(0x00081072, [
            [
              S(0x00080080, 'LO', PLANTED.institution),
              S(0x00080081, 'ST', PLANTED.address),
              Q(0x00401101, [code('OP1234', 'L', PLANTED.operator)]),
            ],
          ]),
        ],
      ]),
    );
    els.push(Q(0x00400260, [code('P5-0905E', 'SRT', 'CT of chest')]));
    els.push(Q(0x00102202, [])); // Patient Species Code Sequence (empty, kept)
  }
  const refs = spec.referencedSopInstanceUids ?? [syntheticUid(seed, 3, 999)];
  if (kind !== 'sr') {
    els.push(
      Q(
        0x00081140,
        refs.map((u) => [S(0x00081150, 'UI', sopClass), S(0x00081155, 'UI', u)]),
      ),
    );
    els.push(
      Q(
        0x00082112,
        refs.map((u) => [S(0x00081150, 'UI', sopClass), S(0x00081155, 'UI', u)]),
      ),
    );
  }
  if (plant.privateTags) {
    els.push(S(0x00090010, 'LO', PLANTED.privateCreator));
    els.push(S(0x00091001, 'LO', p.name));
    els.push(S(0x00091002, 'UI', studyUid));
    els.push(S(0x00091003, 'DS', '42.5'));
    els.push(S(0x00190010, 'LO', 'SYNTH_SEQ_OWNER'));
    els.push(Q(0x00191001, [[S(0x00100010, 'PN', p.name), S(0x00100020, 'LO', p.mrn)]]));
    els.push(S(0x00291010, 'OB', Buffer.from(`CSA ${p.name} ${nhs}`, 'latin1')));
  }
  if (plant.icon && kind !== 'sr') {
    els.push(
      Q(0x00880200, [
        [
          S(0x00280002, 'US', [1]),
          S(0x00280004, 'CS', 'MONOCHROME2'),
          S(0x00280010, 'US', [8]),
          S(0x00280011, 'US', [8]),
          S(0x00280100, 'US', [8]),
          S(0x00280101, 'US', [8]),
          S(0x00280102, 'US', [7]),
          S(0x00280103, 'US', [0]),
          S(0x7fe00010, 'OB', Buffer.alloc(64, 0x7f)),
        ],
      ]),
    );
  }
  if (plant.curve && kind !== 'sr') {
    els.push(S(0x50000005, 'US', [1]), S(0x50000022, 'LO', `Curve of ${p.name}`), S(0x50003000, 'OB', Buffer.from(PLANTED.patientName)));
  }
  if (plant.overlay && kind !== 'sr') {
    els.push(
      S(0x60000010, 'US', [8]),
      S(0x60000011, 'US', [8]),
      S(0x60000022, 'LO', `Overlay ${p.name}`),
      S(0x60000040, 'CS', 'G'),
      S(0x60000050, 'SS', [1, 1]),
      S(0x60000100, 'US', [1]),
      S(0x60000102, 'US', [0]),
      S(0x60003000, 'OW', Buffer.alloc(8, 0xff)),
      S(0x60004000, 'LT', `Overlay note ${p.name}`),
    );
  }

  let pixel: Plan['pixel'];
  if (kind === 'sr') {
    els.push(...srContent(seed, p, nhs, studyUid, seriesUid, refs));
  } else {
    const rows = spec.rows ?? (kind === 'multiframe' ? 256 : 64);
    const cols = spec.columns ?? rows;
    const frames = kind === 'multiframe' ? (spec.frames ?? 4) : 1;
    const color = kind === 'us' || kind === 'sc';
    const bits = color ? 8 : 16;
    const spp = color ? 3 : 1;
    els.push(
      S(0x00280002, 'US', [spp]),
      S(0x00280004, 'CS', color ? 'RGB' : 'MONOCHROME2'),
      S(0x00280010, 'US', [rows]),
      S(0x00280011, 'US', [cols]),
      S(0x00280100, 'US', [bits]),
      S(0x00280101, 'US', [color ? 8 : 12]),
      S(0x00280102, 'US', [color ? 7 : 11]),
      S(0x00280103, 'US', [0]),
    );
    if (color) els.push(S(0x00280006, 'US', [0]));
    if (frames > 1 || kind === 'multiframe') els.push(S(0x00280008, 'IS', String(frames)));
    if (spec.burnedInAnnotation) els.push(S(0x00280301, 'CS', spec.burnedInAnnotation));
    if (kind === 'multiframe') {
      // Per-frame functional groups carry dates and references per frame (PS3.3 §C.7.6.16).
      els.push(
        Q(
          0x52009230,
          Array.from({ length: Math.min(frames, 64) }, (_, i) => [
            Q(0x00209111, [[S(0x00189074, 'DT', `${studyDate}1015${String(i % 60).padStart(2, '0')}`), S(0x00209157, 'UL', [1, i + 1])]]),
          ]),
        ),
      );
    }
    pixel = { vr: bits === 8 ? 'OB' : 'OW', frameBytes: rows * cols * spp * (bits / 8), frames, encapsulated: ENCAPSULATED.has(ts) };
  }
  for (const x of spec.extra ?? []) {
    const i = els.findIndex((e) => e.tag === x.tag);
    if (i >= 0) els.splice(i, 1);
    els.push(x);
  }
  return { elements: els, sopClass, sopInstance, pixel };
}

function srContent(
  seed: number,
  p: SyntheticPatient,
  nhs: string,
  studyUid: string,
  seriesUid: string,
  refs: readonly string[],
): SynthElement[] {
  const rel = (type: string): SynthElement[] => [S(0x0040a010, 'CS', 'CONTAINS'), S(0x0040a040, 'CS', type)];
  return [
    S(0x0040a040, 'CS', 'CONTAINER'),
    S(0x0040a050, 'CS', 'SEPARATE'),
    Q(0x0040a043, [code('18748-4', 'LN', 'Diagnostic Imaging Report')]),
    S(0x0040a491, 'CS', 'COMPLETE'),
    S(0x0040a493, 'CS', 'VERIFIED'),
    Q(0x0040a073, [
      [
        S(0x0040a027, 'LO', PLANTED.institution),
        S(0x0040a030, 'DT', `${PLANTED.studyDate}120000`),
        S(0x0040a075, 'PN', PLANTED.readingPhysician),
      ],
    ]),
    Q(0x0040a375, [
      [
        S(0x0020000d, 'UI', studyUid),
        Q(0x00081115, [
          [
            S(0x0020000e, 'UI', seriesUid),
            Q(
              0x00081199,
              refs.map((u) => [S(0x00081150, 'UI', SOP_CLASS.ct), S(0x00081155, 'UI', u)]),
            ),
          ],
        ]),
      ],
    ]),
    Q(0x0040a730, [
      [
        ...rel('TEXT'),
        Q(0x0040a043, [code('121071', 'DCM', 'Finding')]),
        S(
          0x0040a160,
          'UT',
          `${p.name.replace(/\^/g, ' ')} (NHS ${formatNhsNumber(nhs)}) seen on 14 June 2023 at ${PLANTED.institution}; contact ${PLANTED.phone}, ${PLANTED.email}, BC4 9ZZ.`,
        ),
      ],
      [...rel('PNAME'), Q(0x0040a043, [code('121008', 'DCM', 'Person Observer Name')]), S(0x0040a123, 'PN', PLANTED.readingPhysician)],
      [...rel('DATE'), Q(0x0040a043, [code('111060', 'DCM', 'Study Date')]), S(0x0040a121, 'DA', PLANTED.studyDate)],
      [...rel('UIDREF'), Q(0x0040a043, [code('121018', 'DCM', 'Procedure Study Instance UID')]), S(0x0040a124, 'UI', studyUid)],
      [
        ...rel('IMAGE'),
        Q(
          0x00081199,
          refs.map((u) => [S(0x00081150, 'UI', SOP_CLASS.ct), S(0x00081155, 'UI', u)]),
        ),
      ],
      [
        ...rel('CONTAINER'),
        S(0x0040a050, 'CS', 'SEPARATE'),
        Q(0x0040a730, [
          [...rel('TEXT'), S(0x0040a160, 'UT', `Nested note about ${p.name.replace(/\^/g, ' ')} born 17/03/1958 seed ${seed}`)],
        ]),
      ],
    ]),
  ];
}

/** Pixel bytes of one frame: deterministic noise, varied by frame index. */
export function framePixels(seed: number, frameBytes: number, frame: number, reuse?: Buffer): Buffer {
  const b = reuse && reuse.length === frameBytes ? reuse : Buffer.allocUnsafe(frameBytes);
  let x = (seed * 2654435761 + frame * 40503 + 1) >>> 0 || 1;
  const words = Math.floor(frameBytes / 4);
  for (let i = 0; i < words; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b.writeUInt32LE(x & 0x0fff0fff, i * 4);
  }
  for (let i = words * 4; i < frameBytes; i++) b[i] = i & 0xff;
  return b;
}

/** A fake compressed frame: never decoded by Harbour, only copied; JPEG-like markers for realism. */
function fakeFragment(seed: number, frame: number, size: number): Buffer {
  const f = framePixels(seed, size, frame);
  f[0] = 0xff;
  f[1] = 0xd8;
  f[size - 2] = 0xff;
  f[size - 1] = 0xd9;
  return f;
}

function plan(spec: DicomInstanceSpec): Plan {
  const seed = spec.seed ?? 1;
  const ts = spec.transferSyntax ?? 'explicit-le';
  const enc: SynthEncoding = {
    explicit: ts !== 'implicit-le',
    little: ts !== 'explicit-be',
    undefinedLengths: (spec.sequenceLengths ?? 'undefined') === 'undefined',
  };
  const { elements, sopClass, sopInstance, pixel } = buildElements(spec, seed);
  const meta = encodeFileMeta(sopClass, sopInstance, TRANSFER_SYNTAX_UIDS[ts], [S(0x00020016, 'AE', 'TRUSTPACS01')]);
  const head = encodeElements(
    elements.filter((e) => e.tag < 0x7fe00010),
    enc,
  );
  const tail = encodeElements([...elements.filter((e) => e.tag > 0x7fe00010), S(0xfffcfffc, 'OB', Buffer.alloc(4))], enc);
  return { meta, head, pixel, tail, enc, deflated: ts === 'deflated', seed };
}

function pixelHeader(p: Plan): Buffer {
  const px = p.pixel!;
  if (px.encapsulated) return elementHeader(0x7fe00010, 'OB', 0xffffffff, p.enc);
  return elementHeader(0x7fe00010, px.vr, px.frameBytes * px.frames, p.enc);
}

const ITEM_HDR = (len: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(0xfffe, 0);
  b.writeUInt16LE(0xe000, 2);
  b.writeUInt32LE(len, 4);
  return b;
};
const SEQ_DELIM = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);

function* pixelChunks(p: Plan): Generator<Buffer> {
  const px = p.pixel!;
  if (px.encapsulated) {
    yield ITEM_HDR(0); // empty Basic Offset Table
    const fragSize = Math.max(16, Math.floor(px.frameBytes / 3) & ~1);
    for (let f = 0; f < px.frames; f++) {
      const frag = fakeFragment(p.seed, f, fragSize);
      yield ITEM_HDR(frag.length);
      yield frag;
    }
    yield SEQ_DELIM;
    return;
  }
  let reuse: Buffer | undefined;
  for (let f = 0; f < px.frames; f++) {
    reuse = framePixels(p.seed, px.frameBytes, f, reuse);
    if (!p.enc.little && px.vr === 'OW') {
      const copy = Buffer.from(reuse);
      copy.swap16();
      yield copy;
    } else yield reuse;
  }
}

/** One synthetic Part 10 instance, in memory (small instances: tests, demo seed, STOW). */
export function generateDicomInstance(spec: DicomInstanceSpec = {}): Buffer {
  const p = plan(spec);
  const parts: Buffer[] = [p.head];
  if (p.pixel) {
    parts.push(pixelHeader(p));
    for (const c of pixelChunks(p)) parts.push(Buffer.from(c));
  }
  parts.push(p.tail);
  const dataset = Buffer.concat(parts);
  return Buffer.concat([p.meta, p.deflated ? deflateDataset(dataset) : dataset]);
}

/**
 * Write one instance to a file, streaming the pixel data frame by frame so instances of hundreds
 * of megabytes never sit in memory (benchmarks). Deflated instances are built in memory.
 */
export async function writeDicomInstanceFile(path: string, spec: DicomInstanceSpec = {}): Promise<number> {
  const p = plan(spec);
  if (p.deflated) {
    const buf = generateDicomInstance(spec);
    const ws = createWriteStream(path);
    ws.end(buf);
    await once(ws, 'finish');
    return buf.length;
  }
  const ws = createWriteStream(path, { highWaterMark: 1024 * 1024 });
  let total = 0;
  const put = async (b: Buffer): Promise<void> => {
    total += b.length;
    if (!ws.write(Buffer.from(b))) await once(ws, 'drain');
  };
  await put(p.meta);
  await put(p.head);
  if (p.pixel) {
    await put(pixelHeader(p));
    for (const c of pixelChunks(p)) await put(c);
  }
  await put(p.tail);
  ws.end();
  await once(ws, 'finish');
  return total;
}

export interface DicomStudySpec extends Omit<
  DicomInstanceSpec,
  'seed' | 'sopInstanceUid' | 'instanceNumber' | 'studyInstanceUid' | 'seriesInstanceUid'
> {
  /** Instances per series. */
  readonly instances?: number;
  readonly series?: number;
}

export interface SyntheticDicomStudy {
  readonly studyInstanceUid: string;
  readonly nhsNumber: string;
  readonly instances: readonly { readonly seriesInstanceUid: string; readonly sopInstanceUid: string; readonly buffer: Buffer }[];
}

/**
 * A small study: `series` series of `instances` instances sharing patient, study and frame of
 * reference; each instance references the previous one (Referenced Image Sequence), so reference
 * consistency across files can be checked.
 */
export function generateDicomStudy(seed: number, spec: DicomStudySpec = {}): SyntheticDicomStudy {
  const studyUid = syntheticUid(seed, 1);
  const nhs = spec.patient?.nhsNumber ?? syntheticNhsNumber(seed);
  const out: { seriesInstanceUid: string; sopInstanceUid: string; buffer: Buffer }[] = [];
  let prev: string | undefined;
  for (let s = 0; s < (spec.series ?? 1); s++) {
    const seriesUid = syntheticUid(seed, 2, s);
    for (let i = 0; i < (spec.instances ?? 3); i++) {
      const sopUid = syntheticUid(seed, 3, s * 1000 + i + 1);
      const buffer = generateDicomInstance({
        ...spec,
        seed,
        patient: { ...spec.patient, nhsNumber: nhs },
        studyInstanceUid: studyUid,
        seriesInstanceUid: seriesUid,
        sopInstanceUid: sopUid,
        instanceNumber: i + 1,
        referencedSopInstanceUids: prev ? [prev] : [],
      });
      out.push({ seriesInstanceUid: seriesUid, sopInstanceUid: sopUid, buffer });
      prev = sopUid;
    }
  }
  return { studyInstanceUid: studyUid, nhsNumber: nhs, instances: out };
}
