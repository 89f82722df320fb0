import type { ProjectKeys } from '@harbour/pseudonymisation';
import { standardVr } from '../dictionary/dictionary.js';
import type { DicomQuarantineReason } from '../errors.js';
import { newDElement, type DElement, type DItem, type Encoding } from '../parse/model.js';
import { find, stringValue } from '../parse/part10.js';
import {
  actionResolver,
  annexERow,
  CID_7050,
  DICOM_DEID_PROFILE_VERSION,
  type AnnexEOption,
  type AnnexERow,
  type EffectiveAction,
} from '../profile/profile.js';
import { cachedKeys, type CachedKeys } from './key-cache.js';
import type { Scrubber } from './scrub.js';

/** A private attribute deemed safe (PS3.15 §E.3.10): block owner, group and element byte (PS3.5 §7.8.1). */
export interface SafePrivateTag {
  /** Private Creator value, compared trimmed and case-insensitively. */
  readonly creator: string;
  /** Odd group number, e.g. 0x0019. */
  readonly group: number;
  /** Low byte of the element (`xx` in (gggg,10xx)), 0x00–0xFF. */
  readonly element: number;
}

/** Counts of what the rules did to one instance; values never appear, only counts. */
export interface DeidCounts {
  removed: number;
  emptied: number;
  replaced: number;
  cleaned: number;
  kept: number;
  uidsRemapped: number;
  datesShifted: number;
  privateRemoved: number;
  privateRetained: number;
  unknownRemoved: number;
}

export const newCounts = (): DeidCounts => ({
  removed: 0,
  emptied: 0,
  replaced: 0,
  cleaned: 0,
  kept: 0,
  uidsRemapped: 0,
  datesShifted: 0,
  privateRemoved: 0,
  privateRetained: 0,
  unknownRemoved: 0,
});

/** Implementation Class UID of Harbour (PS3.7 §D.3.3.2), a UUID-derived UID (PS3.5 §B.2). */
export const HARBOUR_IMPLEMENTATION_CLASS_UID = '2.25.196623064948577753036406931536234054463';
/** Implementation Version Name (SH, at most 16 characters). */
export const HARBOUR_IMPLEMENTATION_VERSION_NAME = 'HARBOUR_DEID_1';

const TAG = {
  specificCharacterSet: 0x00080005,
  sopClassUid: 0x00080016,
  sopInstanceUid: 0x00080018,
  modality: 0x00080060,
  patientName: 0x00100010,
  patientId: 0x00100020,
  studyUid: 0x0020000d,
  seriesUid: 0x0020000e,
  numberOfFrames: 0x00280008,
  burnedIn: 0x00280301,
  recognizable: 0x00280302,
  longitudinalModified: 0x00280303,
  identityRemoved: 0x00120062,
  deidMethod: 0x00120063,
  deidMethodCodes: 0x00120064,
  textValue: 0x0040a160,
  encapsulatedDocument: 0x00420011,
  pixelData: 0x7fe00010,
  floatPixelData: 0x7fe00008,
  doublePixelData: 0x7fe00009,
  codeValue: 0x00080100,
  codingScheme: 0x00080102,
  codeMeaning: 0x00080104,
} as const;

/** Markers this engine writes itself; any incoming copy (e.g. from an earlier de-identifier) is dropped. */
const MARKERS = new Set<number>([TAG.identityRemoved, TAG.deidMethod, TAG.deidMethodCodes, TAG.longitudinalModified]);

/** Maximum value lengths of PS3.5 Table 6.2-1 for the text VRs that cleaning rewrites. */
const MAX_LEN: Record<string, number> = { SH: 16, LO: 64, ST: 1024, LT: 10240, PN: 64, AE: 16, CS: 16 };
const TEXT_VRS = new Set(['LO', 'SH', 'ST', 'LT', 'UT', 'UC', 'PN']);

export interface EngineInput {
  readonly keys: ProjectKeys;
  readonly options: ReadonlySet<AnnexEOption>;
  readonly nhsNumber: string;
  readonly safePrivateTags: readonly SafePrivateTag[];
}

export interface EngineResult {
  dataset: DElement[];
  counts: DeidCounts;
  pseudonym: string;
}

class Engine {
  readonly counts = newCounts();
  readonly pseudonym: string;
  private readonly offsetDays: number;
  private readonly modifiedDates: boolean;
  private readonly textClean: boolean;
  private readonly utf8: boolean;
  private readonly keys: CachedKeys;
  private readonly resolve: (row: AnnexERow) => EffectiveAction;
  private scrubberInstance: Scrubber | undefined;

  constructor(
    private readonly input: EngineInput,
    private readonly enc: Encoding,
    top: readonly DElement[],
  ) {
    this.keys = cachedKeys(input.keys);
    this.resolve = actionResolver(input.options);
    this.pseudonym = this.keys.pseudonym(input.nhsNumber);
    this.offsetDays = this.keys.dateOffsetDays(input.nhsNumber);
    this.modifiedDates = input.options.has('retainLongitudinalModifiedDates');
    this.textClean = input.options.has('cleanDescriptors') || input.options.has('cleanStructuredContent');
    this.utf8 = /ISO_IR 192/.test(stringValue(find(top, TAG.specificCharacterSet)) ?? '');
    this.top = top;
    // The phrases must come from the dataset as received: the transform rewrites values in tag
    // order, so a name held only in an earlier attribute (ReferringPhysicianName, 0008,0090) would
    // already be gone when a later description (StudyDescription, 0008,1030) is cleaned.
    if (this.textClean) void this.scrubber;
  }

  private readonly top: readonly DElement[];

  /** Built before the transform when free text is cleaned; never otherwise. */
  private get scrubber(): Scrubber {
    if (!this.scrubberInstance) {
      // Keyed by the raw values the phrases come from: on a hit (every slice after the first of a
      // series) the phrases themselves need not be derived.
      const sources: Buffer[] = [];
      collectPhraseSources(this.top, sources);
      const encoding = this.utf8 ? 'utf8' : 'latin1';
      const key = `${encoding}:${sources.map((b) => b.length).join(',')}:${Buffer.concat(sources).toString('latin1')}`;
      this.scrubberInstance = this.keys.scrubber(key, () => identifyingPhrases(sources, encoding));
    }
    return this.scrubberInstance;
  }

  private str(el: DElement): string {
    if (!el.value) return '';
    return el.value.toString(this.utf8 ? 'utf8' : 'latin1').replace(/[\0 ]+$/, '');
  }

  private setStr(el: DElement, s: string): void {
    let v = s;
    const max = MAX_LEN[el.vr];
    // No value of a string longer than the maximum can itself be longer: split only when it could.
    if (max !== undefined && v.length > max)
      v = v
        .split('\\')
        .map((x) => x.slice(0, max))
        .join('\\');
    // Values have even length (PS3.5 §7.1.1): pad UI with NUL and text with a space.
    if ((this.utf8 ? Buffer.byteLength(v, 'utf8') : v.length) % 2 === 1) v += el.vr === 'UI' ? '\0' : ' ';
    el.value = Buffer.from(v, this.utf8 ? 'utf8' : 'latin1');
    el.bulk = undefined;
    el.fragments = undefined;
    el.items = undefined;
  }

  newElement(tag: number, vr: string, value?: string): DElement {
    const el = newDElement(tag, vr, this.enc.explicit ? vr : undefined, false);
    if (value !== undefined) this.setStr(el, value);
    return el;
  }

  transform(elements: readonly DElement[], depth: number): DElement[] {
    const out: DElement[] = [];
    const creators = new Map<number, string>();
    const usedCreators = new Set<number>();
    const retainPrivate = this.input.options.has('retainSafePrivate') && this.input.safePrivateTags.length > 0;
    if (retainPrivate) {
      for (const el of elements) {
        const g = el.tag >>> 16;
        const e = el.tag & 0xffff;
        if (g % 2 === 1 && e >= 0x10 && e <= 0xff) creators.set(((g << 8) | e) >>> 0, this.str(el).trim().toUpperCase());
      }
    }
    const keptPrivate = new Set<DElement>();
    if (retainPrivate) {
      for (const el of elements) {
        const g = el.tag >>> 16;
        const e = el.tag & 0xffff;
        if (g % 2 === 0 || e < 0x1000 || g < 0x0009 || g === 0xffff) continue;
        const block = e >>> 8;
        const creator = creators.get(((g << 8) | block) >>> 0);
        if (creator === undefined) continue;
        const safe = this.input.safePrivateTags.some(
          (s) => s.group === g && s.element === (e & 0xff) && s.creator.trim().toUpperCase() === creator,
        );
        if (safe) {
          keptPrivate.add(el);
          usedCreators.add(((g << 8) | block) >>> 0);
        }
      }
    }

    for (const el of elements) {
      const g = el.tag >>> 16;
      const e = el.tag & 0xffff;
      if (g % 2 === 1) {
        // Private attributes (PS3.15 Table E.1-1 "(gggg,eeee) where gggg is odd": X, or C under
        // Retain Safe Private): only listed safe attributes and their creators survive.
        const isCreator = e >= 0x10 && e <= 0xff;
        if (keptPrivate.has(el) || (isCreator && usedCreators.has(((g << 8) | e) >>> 0))) {
          this.counts.privateRetained++;
          if (el.items) this.recurse(el, depth);
          out.push(el);
        } else {
          this.counts.privateRemoved++;
        }
        continue;
      }
      if (e === 0x0000 || g === 0x0002) {
        // Group lengths (retired in datasets, PS3.5 §7.2) would be wrong after rewriting.
        this.counts.removed++;
        continue;
      }
      if (depth === 0 && MARKERS.has(el.tag)) continue;
      if (depth === 0 && (el.tag === TAG.patientName || el.tag === TAG.patientId)) {
        // Harbour rule: the patient is named by the project pseudonym, shared with the EHR side.
        this.setStr(el, this.pseudonym);
        this.counts.replaced++;
        out.push(el);
        continue;
      }
      const kept = this.apply(el, this.actionFor(el), depth);
      if (kept) out.push(kept);
    }
    return out;
  }

  private actionFor(el: DElement): EffectiveAction | 'unknown' {
    const g = el.tag >>> 16;
    // Overlays (60xx) and curves (50xx) may carry burned-in text or annotations; Clean Graphics
    // is not implemented, so whole groups go (PS3.15 Table E.1-1 rows 50xx,xxxx / 60xx,3000 / 60xx,4000).
    if ((g & 0xff00) === 0x5000 || (g & 0xff00) === 0x6000) return 'X';
    // Retired variable pixel data groups (7Fxx other than 7FE0).
    if ((g & 0xff00) === 0x7f00 && g !== 0x7fe0) return 'X';
    // SR Text Value is not itself listed in Table E.1-1 (its Content Sequence is D/C); Harbour
    // removes free text, or cleans it under Clean Structured Content / Clean Descriptors.
    if (el.tag === TAG.textValue) return this.textClean ? 'C' : 'X';
    const row = annexERow(el.tag);
    if (row) return this.resolve(row);
    if (standardVr(el.tag) === undefined) return 'unknown';
    // Dates not listed in the table: shifted with the patient's other dates, otherwise removed,
    // so no true date survives next to shifted ones.
    if (el.vr === 'DA' || el.vr === 'DT') return this.modifiedDates ? 'C' : 'X';
    return 'K';
  }

  private recurse(el: DElement, depth: number): void {
    for (const item of el.items ?? []) item.elements = this.transform(item.elements, depth + 1);
  }

  private apply(el: DElement, action: EffectiveAction | 'unknown', depth: number): DElement | undefined {
    switch (action) {
      case 'unknown':
        // Fail closed: a tag outside the PS3.6 dictionary of our edition cannot be judged.
        this.counts.unknownRemoved++;
        return undefined;
      case 'X':
        this.counts.removed++;
        return undefined;
      case 'Z':
        this.counts.emptied++;
        if (el.items) el.items = [];
        else this.setStr(el, '');
        return el;
      case 'K':
        if (el.items) this.recurse(el, depth);
        else this.counts.kept++;
        return el;
      case 'U':
        if (el.items) {
          this.recurse(el, depth);
          return el;
        }
        if (el.vr === 'UI') {
          this.remapUids(el);
          return el;
        }
        return this.dummy(el, depth);
      case 'D':
        return this.dummy(el, depth);
      case 'C':
        return this.clean(el, depth);
    }
  }

  private remapUids(el: DElement): void {
    const r = this.keys.uidValue(this.str(el));
    this.counts.uidsRemapped += r.count;
    this.setStr(el, r.value);
  }

  /** D: a non-zero-length dummy consistent with the VR (PS3.15 Table E.1-1a). */
  private dummy(el: DElement, depth: number): DElement {
    if (el.items) {
      // A dummy sequence: the same items with every identifying attribute inside handled by its own
      // row (so e.g. Content Sequence keeps its tree but loses names, dates and text).
      this.recurse(el, depth);
      return el;
    }
    this.counts.replaced++;
    switch (el.vr) {
      case 'UI': {
        const orig = this.str(el).replace(/\0/g, '').trim();
        this.setStr(el, this.keys.uid(orig || `harbour-dummy:${el.tag}`));
        return el;
      }
      case 'DA':
        this.setStr(el, '19000101');
        return el;
      case 'DT':
        this.setStr(el, '19000101000000');
        return el;
      case 'TM':
        this.setStr(el, '000000');
        return el;
      case 'PN':
        this.setStr(el, 'ANONYMOUS');
        return el;
      case 'AS':
        this.setStr(el, '000Y');
        return el;
      case 'DS':
      case 'IS':
        this.setStr(el, '0');
        return el;
      case 'AE':
      case 'CS':
      case 'SH':
      case 'LO':
      case 'ST':
      case 'LT':
      case 'UT':
      case 'UC':
      case 'UR':
        this.setStr(el, 'ANONYMIZED');
        return el;
      default: {
        const size = el.vr === 'US' || el.vr === 'SS' ? 2 : el.vr === 'UL' || el.vr === 'SL' || el.vr === 'FL' || el.vr === 'AT' ? 4 : 8;
        el.value = Buffer.alloc(size);
        el.bulk = undefined;
        el.fragments = undefined;
        return el;
      }
    }
  }

  /** C: keep meaning, remove identification (PS3.15 §E.3). */
  private clean(el: DElement, depth: number): DElement | undefined {
    if (el.items) {
      this.recurse(el, depth);
      return el;
    }
    if (el.vr === 'DA' || el.vr === 'DT') {
      if (!this.modifiedDates) {
        this.counts.emptied++;
        this.setStr(el, '');
        return el;
      }
      const shifted = this.keys.shiftedDates(el.vr, this.str(el), this.offsetDays);
      if (shifted === null) {
        // Not a real date: it cannot be shifted, so it must not pass through (fail closed).
        this.counts.emptied++;
        this.setStr(el, '');
      } else {
        this.counts.datesShifted++;
        this.setStr(el, shifted);
      }
      return el;
    }
    if (el.vr === 'TM') {
      // Shifting by whole days keeps times of day (PS3.15 §E.3.6 allows any consistent modification).
      this.counts.kept++;
      return el;
    }
    if (TEXT_VRS.has(el.vr)) {
      this.counts.cleaned++;
      this.setStr(el, this.scrubber.scrub(this.str(el)));
      return el;
    }
    if (el.vr === 'AE') {
      // Device-identifying AE titles become a stable per-project alias (consistent across files).
      this.counts.replaced++;
      this.setStr(el, `H${this.keys.recordId('dicom-ae', this.str(el).trim()).slice(0, 15).toUpperCase()}`);
      return el;
    }
    if (el.vr === 'UI') {
      this.remapUids(el);
      return el;
    }
    this.counts.kept++;
    return el;
  }

  /** Markers of PS3.15 §E.1.1 / PS3.3 §C.12.1 and the Harbour patient identity. */
  finish(top: DElement[]): DElement[] {
    const add: DElement[] = [];
    if (!top.some((e) => e.tag === TAG.patientName)) add.push(this.newElement(TAG.patientName, 'PN', this.pseudonym));
    if (!top.some((e) => e.tag === TAG.patientId)) add.push(this.newElement(TAG.patientId, 'LO', this.pseudonym));
    const key = `${this.enc.explicit}|${[...this.input.options].sort().join(',')}`;
    let markers = markerCache.get(key);
    if (!markers) {
      markers = deepFreeze(this.markers());
      markerCache.set(key, markers);
    }
    const all = [...top, ...add, ...markers];
    all.sort((a, b) => a.tag - b.tag);
    return all;
  }

  /** The markers depend only on the options and on whether VRs are explicit (ASCII values). */
  private markers(): DElement[] {
    const add: DElement[] = [];
    add.push(this.newElement(TAG.identityRemoved, 'CS', 'YES'));
    add.push(this.newElement(TAG.deidMethod, 'LO', `Harbour ${DICOM_DEID_PROFILE_VERSION}`));
    const codes: { readonly code: string; readonly meaning: string }[] = [CID_7050.basicProfile];
    const opts = this.input.options;
    if (opts.has('cleanStructuredContent')) codes.push(CID_7050.cleanStructuredContent);
    if (opts.has('cleanDescriptors')) codes.push(CID_7050.cleanDescriptors);
    if (opts.has('retainLongitudinalModifiedDates')) codes.push(CID_7050.retainLongitudinalModifiedDates);
    if (opts.has('retainPatientCharacteristics')) codes.push(CID_7050.retainPatientCharacteristics);
    if (opts.has('retainDeviceIdentity')) codes.push(CID_7050.retainDeviceIdentity);
    if (opts.has('retainUids')) codes.push(CID_7050.retainUids);
    if (opts.has('retainSafePrivate')) codes.push(CID_7050.retainSafePrivate);
    if (opts.has('retainInstitutionIdentity')) codes.push(CID_7050.retainInstitutionIdentity);
    const seq = this.newElement(TAG.deidMethodCodes, 'SQ');
    seq.items = codes.map((c): DItem => ({
      undefinedLength: false,
      elements: [
        this.newElement(TAG.codeValue, 'SH', c.code),
        this.newElement(TAG.codingScheme, 'SH', 'DCM'),
        this.newElement(TAG.codeMeaning, 'LO', c.meaning),
      ],
    }));
    add.push(seq);
    // PS3.3 §C.7.6.1: MODIFIED when dates were shifted, REMOVED when they were emptied or removed.
    add.push(this.newElement(TAG.longitudinalModified, 'CS', this.modifiedDates ? 'MODIFIED' : 'REMOVED'));
    return add;
  }
}

/**
 * Marker elements by encoding and options, shared by every output (they are the same bytes each
 * time). Frozen, so a later change that tried to edit one in place would fail instead of
 * leaking into other instances.
 */
const markerCache = new Map<string, readonly DElement[]>();

function deepFreeze(elements: DElement[]): readonly DElement[] {
  for (const el of elements) {
    if (el.items) {
      for (const it of el.items) {
        deepFreeze(it.elements);
        Object.freeze(it);
      }
      Object.freeze(el.items);
    }
    Object.freeze(el);
  }
  return Object.freeze(elements);
}

/** Identifying attributes whose values the scrubber must find in free text (besides every PN). */
const LITERAL_TAGS = new Set<number>([
  0x00100020, 0x00101000, 0x00080050, 0x00080080, 0x00080081, 0x00080092, 0x00080094, 0x00101040, 0x00102154, 0x00081040, 0x00081010,
  0x00400006, 0x00200010, 0x00400253, 0x00401001, 0x00102150, 0x00102152,
]);

/** Values holding strings the scrubber must find in free text: every PN, and identifying attributes. */
function collectPhraseSources(els: readonly DElement[], out: Buffer[]): void {
  for (const el of els) {
    if (el.items) {
      for (const it of el.items) collectPhraseSources(it.elements, out);
      continue;
    }
    const v = el.value;
    if (v && v.length <= 1024 && (el.vr === 'PN' || LITERAL_TAGS.has(el.tag))) out.push(v);
  }
}

const TRAILING_PADDING = /[\0 ]+$/;

/** The phrases of those values: each value of a multi-valued one, trimmed. */
function identifyingPhrases(sources: readonly Buffer[], encoding: 'utf8' | 'latin1'): string[] {
  const phrases: string[] = [];
  for (const v of sources) {
    for (const part of v.toString(encoding).replace(TRAILING_PADDING, '').split('\\')) {
      const p = part.trim();
      if (p) phrases.push(p);
    }
  }
  return phrases;
}

/**
 * Apply the profile to a parsed top-level dataset. Pure in-memory rewrite of element values;
 * bulk values keep their source references and are copied by the writer.
 */
export function deidentifyDataset(top: readonly DElement[], enc: Encoding, input: EngineInput): EngineResult {
  const engine = new Engine(input, enc, top);
  const dataset = engine.finish(engine.transform(top, 0));
  return { dataset, counts: engine.counts, pseudonym: engine.pseudonym };
}

const SECONDARY_CAPTURE = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.7(\.[1-4])?$/;
const ULTRASOUND = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(6|6\.1|6\.2|6\.3|3|3\.1)$/;
const VISIBLE_LIGHT = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.77\.1\./;
const ENCAPSULATED_DOC = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.104\./;
/** Modalities whose images commonly carry burned-in demographics (screens, scanned forms, photos). */
const RISKY_MODALITIES = new Set(['US', 'OT', 'SC', 'XC', 'ES', 'GM', 'DOC', 'IVUS']);

/**
 * PS3.15 §E.1.1 / §E.3.1: burned-in identification in pixels must be removed or the instance not
 * released. Harbour never decodes pixels, so anything that may carry such text is quarantined.
 */
export function quarantineReason(top: readonly DElement[]): DicomQuarantineReason | undefined {
  const str = (tag: number): string | undefined => stringValue(find(top, tag))?.toUpperCase();
  const sopClass = str(TAG.sopClassUid) ?? '';
  if (find(top, TAG.encapsulatedDocument) || ENCAPSULATED_DOC.test(sopClass)) return 'encapsulated_document';
  const hasPixels = top.some((e) => e.tag === TAG.pixelData || e.tag === TAG.floatPixelData || e.tag === TAG.doublePixelData);
  if (!hasPixels) return undefined;
  const burnedIn = str(TAG.burnedIn);
  if (burnedIn === 'YES') return 'burned_in_annotation';
  if (str(TAG.recognizable) === 'YES') return 'recognizable_visual_features';
  const modality = str(TAG.modality) ?? '';
  const risky =
    RISKY_MODALITIES.has(modality) || SECONDARY_CAPTURE.test(sopClass) || ULTRASOUND.test(sopClass) || VISIBLE_LIGHT.test(sopClass);
  if (risky && burnedIn !== 'NO') return 'burned_in_annotation';
  // An overlay plane without Overlay Data lives in the unused high bits of Pixel Data (retired
  // encoding, PS3.5 §8.1.2): it cannot be removed without rewriting pixels.
  const overlayGroups = new Set(top.filter((e) => ((e.tag >>> 16) & 0xff00) === 0x6000).map((e) => e.tag >>> 16));
  for (const g of overlayGroups) {
    if (g % 2 === 0 && !top.some((e) => e.tag === ((g << 16) | 0x3000) >>> 0)) return 'embedded_overlay';
  }
  return undefined;
}
