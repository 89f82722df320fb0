import { ANNEX_E_EDITION, ANNEX_E_TABLE } from './annex-e-table.2024b.js';
import type { AnnexEAction, AnnexEOptionColumn, AnnexERow } from './profile-types.js';

export { ANNEX_E_EDITION, ANNEX_E_TABLE };
export type { AnnexEAction, AnnexEOptionColumn, AnnexERow };

/**
 * Options of PS3.15 §E.3 that Harbour implements. Retain Longitudinal Temporal Information with
 * Full Dates and Clean Pixel Data / Recognizable Visual Features / Graphics are deliberately absent:
 * Harbour never releases true dates, and never decodes pixels (such images are quarantined).
 */
export type AnnexEOption =
  | 'retainLongitudinalModifiedDates'
  | 'retainPatientCharacteristics'
  | 'retainDeviceIdentity'
  | 'retainInstitutionIdentity'
  | 'retainUids'
  | 'retainSafePrivate'
  | 'cleanDescriptors'
  | 'cleanStructuredContent';

export const ALL_ANNEX_E_OPTIONS: readonly AnnexEOption[] = [
  'retainLongitudinalModifiedDates',
  'retainPatientCharacteristics',
  'retainDeviceIdentity',
  'retainInstitutionIdentity',
  'retainUids',
  'retainSafePrivate',
  'cleanDescriptors',
  'cleanStructuredContent',
];

/** The options a research project typically runs with (longitudinal studies need intervals). */
export const DEFAULT_ANNEX_E_OPTIONS: readonly AnnexEOption[] = [
  'retainLongitudinalModifiedDates',
  'retainPatientCharacteristics',
  'cleanDescriptors',
  'cleanStructuredContent',
];

/** Harbour's version of the engine rules on top of the table; bump on any behaviour change. */
export const HARBOUR_DICOM_RULES_VERSION = '2';

/** Identifies the exact rules applied: profile + edition + Harbour rule revision. */
export const DICOM_DEID_PROFILE_VERSION = `PS3.15-E.1-1/${ANNEX_E_EDITION}/harbour-${HARBOUR_DICOM_RULES_VERSION}`;
export const DICOM_DEID_PROFILE_ID = 'dicom-ps3.15-annex-e-basic';

/**
 * De-identification Method Code Sequence codes, CID 7050 "De-identification Method" (PS3.16),
 * coding scheme DCM.
 */
export const CID_7050 = {
  basicProfile: { code: '113100', meaning: 'Basic Application Confidentiality Profile' },
  cleanPixelData: { code: '113101', meaning: 'Clean Pixel Data Option' },
  cleanRecognizableVisualFeatures: { code: '113102', meaning: 'Clean Recognizable Visual Features Option' },
  cleanGraphics: { code: '113103', meaning: 'Clean Graphics Option' },
  cleanStructuredContent: { code: '113104', meaning: 'Clean Structured Content Option' },
  cleanDescriptors: { code: '113105', meaning: 'Clean Descriptors Option' },
  retainLongitudinalFullDates: { code: '113106', meaning: 'Retain Longitudinal Temporal Information Full Dates Option' },
  retainLongitudinalModifiedDates: {
    code: '113107',
    meaning: 'Retain Longitudinal Temporal Information Modified Dates Option',
  },
  retainPatientCharacteristics: { code: '113108', meaning: 'Retain Patient Characteristics Option' },
  retainDeviceIdentity: { code: '113109', meaning: 'Retain Device Identity Option' },
  retainUids: { code: '113110', meaning: 'Retain UIDs Option' },
  retainSafePrivate: { code: '113111', meaning: 'Retain Safe Private Option' },
  retainInstitutionIdentity: { code: '113112', meaning: 'Retain Institution Identity Option' },
} as const;

/** Action after options and combined codes are resolved. */
export type EffectiveAction = 'X' | 'Z' | 'D' | 'K' | 'C' | 'U';

// Indexed by numeric tag: the engine looks a row up for every element of every instance, so no
// per-lookup string formatting. Repeating-group rows (60xx,eeee) are indexed by element.
const rowsByTag = new Map<number, AnnexERow>();
const overlayRowsByElement = new Map<number, AnnexERow>();
let curveRow: AnnexERow | undefined;
for (const row of ANNEX_E_TABLE) {
  if (/^[0-9A-F]{8}$/.test(row.tag)) rowsByTag.set(Number.parseInt(row.tag, 16) >>> 0, row);
  else if (row.tag === '50XXXXXX') curveRow = row;
  else if (/^60XX[0-9A-F]{4}$/.test(row.tag)) overlayRowsByElement.set(Number.parseInt(row.tag.slice(4), 16), row);
}

/** Table E.1-1 row for a standard tag, resolving the 50xx/60xx repeating groups. */
export function annexERow(tag: number): AnnexERow | undefined {
  const exact = rowsByTag.get(tag >>> 0);
  if (exact) return exact;
  const group = tag >>> 16;
  if ((group & 0xff00) === 0x5000) return curveRow;
  if ((group & 0xff00) === 0x6000) return overlayRowsByElement.get(tag & 0xffff);
  return undefined;
}

/**
 * Resolve a row's action for the enabled options (PS3.15 §E.3: an option's column replaces the
 * Basic Profile action for the attributes it lists).
 *
 * When two enabled options disagree (only Retain Device Identity "K" vs Modified Dates "C" on
 * calibration dates in this edition), "C" wins: a true device date next to shifted patient dates
 * would reveal the patient's offset.
 *
 * Combined codes need the IOD's attribute type to choose between their parts, which a streaming
 * engine does not consult; Harbour resolves them to the least-retaining part: X/Z, X/D, X/Z/D → X;
 * Z/D → Z; X/Z/U* → U (the reference sequence is kept and every UID inside remapped, so references
 * between released instances stay resolvable).
 */
export function resolveAction(row: AnnexERow, options: ReadonlySet<AnnexEOption>): EffectiveAction {
  let fromOption: 'K' | 'C' | undefined;
  if (row.options) {
    for (const [column, action] of Object.entries(row.options) as [AnnexEOptionColumn, 'K' | 'C'][]) {
      if (!options.has(column as AnnexEOption)) continue;
      if (action === 'C') return 'C';
      fromOption = 'K';
    }
  }
  if (fromOption) return fromOption;
  switch (row.basic) {
    case 'X/Z':
    case 'X/D':
    case 'X/Z/D':
      return 'X';
    case 'Z/D':
      return 'Z';
    case 'X/Z/U*':
      return 'U';
    default:
      return row.basic;
  }
}

const resolvers = new Map<string, (row: AnnexERow) => EffectiveAction>();

/**
 * {@link resolveAction} memoised per distinct option set: the table is fixed data, so each
 * (row, options) pair always resolves the same way and need not be recomputed per element.
 */
export function actionResolver(options: ReadonlySet<AnnexEOption>): (row: AnnexERow) => EffectiveAction {
  const key = [...options].sort().join(',');
  let resolver = resolvers.get(key);
  if (!resolver) {
    const byRow = new Map<AnnexERow, EffectiveAction>();
    const fixed = new Set(options);
    resolver = (row) => {
      let action = byRow.get(row);
      if (action === undefined) {
        action = resolveAction(row, fixed);
        byRow.set(row, action);
      }
      return action;
    };
    resolvers.set(key, resolver);
  }
  return resolver;
}
