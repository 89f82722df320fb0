/**
 * The DICOM JSON Model (PS3.18 Annex F) and the Native DICOM Model XML (PS3.19 Annex A) for the
 * few datasets Harbour writes itself: STOW-RS responses and QIDO-RS results.
 */

export interface DicomJsonAttribute {
  readonly vr: string;
  readonly Value?: readonly unknown[];
  readonly InlineBinary?: string;
  readonly BulkDataURI?: string;
}
export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

/** Attribute builders; an absent value gives an attribute with no `Value` (PS3.18 §F.2.5). */
export const dj = {
  str: (vr: 'UI' | 'CS' | 'DA' | 'TM' | 'LO' | 'SH' | 'UR' | 'AE', v: string | undefined | null): DicomJsonAttribute =>
    v ? { vr, Value: [v] } : { vr },
  strs: (vr: 'CS' | 'UI', vs: readonly string[]): DicomJsonAttribute => (vs.length ? { vr, Value: [...vs] } : { vr }),
  /** PS3.18 §F.2.2: PN values are objects with an Alphabetic component group. */
  pn: (v: string | undefined | null): DicomJsonAttribute => (v ? { vr: 'PN', Value: [{ Alphabetic: v }] } : { vr: 'PN' }),
  int: (vr: 'IS' | 'US' | 'UL', v: number | undefined | null): DicomJsonAttribute =>
    v === undefined || v === null ? { vr } : { vr, Value: [v] },
  seq: (items: readonly DicomJsonDataset[]): DicomJsonAttribute => (items.length ? { vr: 'SQ', Value: [...items] } : { vr: 'SQ' }),
};

/** Tags used in Harbour's own datasets (PS3.6), with keywords for the XML rendering. */
export const TAG = {
  SpecificCharacterSet: '00080005',
  StudyDate: '00080020',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  ModalitiesInStudy: '00080061',
  Modality: '00080060',
  RetrieveURL: '00081190',
  FailedSOPSequence: '00081198',
  ReferencedSOPSequence: '00081199',
  ReferencedSOPClassUID: '00081150',
  ReferencedSOPInstanceUID: '00081155',
  WarningReason: '00081196',
  FailureReason: '00081197',
  InstanceAvailability: '00080056',
  PatientName: '00100010',
  PatientID: '00100020',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
  NumberOfFrames: '00280008',
  /** Harbour's private block (PS3.5 §7.8.1): creator in (0011,0010), elements (0011,10xx). */
  HarbourPrivateCreator: '00110010',
  HarbourReasonCode: '00111001',
  HarbourInstanceStatus: '00111002',
} as const;

export const HARBOUR_PRIVATE_CREATOR = 'HARBOUR 1.0';

const KEYWORD: Record<string, string> = Object.fromEntries(Object.entries(TAG).map(([k, v]) => [v, k]));

const xmlEscape = (s: string): string => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Render a DICOM JSON dataset as the Native DICOM Model (PS3.19 §A.1), for `application/dicom+xml`. */
export function toNativeDicomXml(ds: DicomJsonDataset): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM" xml:space="preserve">${datasetXml(ds)}</NativeDicomModel>\n`;
}

function datasetXml(ds: DicomJsonDataset): string {
  let out = '';
  let privateCreator: string | undefined;
  for (const tag of Object.keys(ds).sort()) {
    const a = ds[tag]!;
    const keyword = KEYWORD[tag];
    const isPrivate = parseInt(tag.slice(3, 4), 16) % 2 === 1;
    if (isPrivate && tag.slice(4, 6) === '00') privateCreator = String(a.Value?.[0] ?? '');
    const attrs = [`tag="${tag}"`, `vr="${a.vr}"`];
    if (keyword && !isPrivate) attrs.push(`keyword="${keyword}"`);
    if (isPrivate && tag.slice(4, 6) !== '00' && privateCreator) attrs.push(`privateCreator="${xmlEscape(privateCreator)}"`);
    let inner = '';
    (a.Value ?? []).forEach((v, i) => {
      const n = i + 1;
      if (a.vr === 'SQ') inner += `<Item number="${n}">${datasetXml(v as DicomJsonDataset)}</Item>`;
      else if (a.vr === 'PN')
        inner += `<PersonName number="${n}"><Alphabetic><FamilyName>${xmlEscape(String((v as { Alphabetic?: string }).Alphabetic ?? ''))}</FamilyName></Alphabetic></PersonName>`;
      else inner += `<Value number="${n}">${xmlEscape(String(v))}</Value>`;
    });
    if (a.InlineBinary) inner += `<InlineBinary>${a.InlineBinary}</InlineBinary>`;
    out += `<DicomAttribute ${attrs.join(' ')}>${inner}</DicomAttribute>`;
  }
  return out;
}

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
/** Binary values up to this size are inlined in metadata; larger ones (pixel data) are left out. */
const INLINE_BINARY_MAX = 1024;

/**
 * A dcmjs dictionary (already close to the JSON model) as PS3.18 Annex F JSON for WADO-RS
 * metadata (PS3.18 §10.4.1.1.2, "all attributes except bulk data"): small binary values are
 * inlined (§F.2.7), bulk data such as Pixel Data is omitted, keeping only the VR.
 */
export function dcmjsDictToJson(dict: Record<string, { vr: string; Value?: unknown[] }>): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const [tag, el] of Object.entries(dict)) {
    const vr = el.vr;
    const values = el.Value ?? [];
    if (vr === 'SQ') {
      out[tag] = dj.seq(values.map((item) => dcmjsDictToJson(item as Record<string, { vr: string; Value?: unknown[] }>)));
    } else if (BINARY_VRS.has(vr)) {
      const bufs = values.filter((v): v is ArrayBuffer => v instanceof ArrayBuffer).map((v) => Buffer.from(v));
      const total = bufs.reduce((n, b) => n + b.length, 0);
      out[tag] = total > 0 && total <= INLINE_BINARY_MAX ? { vr, InlineBinary: Buffer.concat(bufs).toString('base64') } : { vr };
    } else if (vr === 'PN') {
      const pns = values
        .map((v) => (typeof v === 'string' ? { Alphabetic: v } : v))
        .filter((v) => v !== null && v !== undefined && v !== '');
      out[tag] = pns.length ? { vr, Value: pns } : { vr };
    } else {
      const vals = values.filter((v) => v !== null && v !== undefined && v !== '');
      out[tag] = vals.length ? { vr, Value: vals } : { vr };
    }
  }
  return out;
}
