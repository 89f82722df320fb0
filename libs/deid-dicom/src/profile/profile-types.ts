/**
 * Types of PS3.15 Annex E Table E.1-1 as committed data.
 * Action codes are those of PS3.15 Table E.1-1a: D (dummy), Z (zero length or dummy), X (remove),
 * K (keep; sequences are cleaned), C (clean), U (replace UID consistently), and the combined codes.
 */
export type AnnexEAction = 'D' | 'Z' | 'X' | 'K' | 'C' | 'U' | 'Z/D' | 'X/Z' | 'X/D' | 'X/Z/D' | 'X/Z/U*';

/** Per-option columns of Table E.1-1. */
export type AnnexEOptionColumn =
  | 'retainSafePrivate'
  | 'retainUids'
  | 'retainDeviceIdentity'
  | 'retainInstitutionIdentity'
  | 'retainPatientCharacteristics'
  | 'retainLongitudinalFullDates'
  | 'retainLongitudinalModifiedDates'
  | 'cleanDescriptors'
  | 'cleanStructuredContent'
  | 'cleanGraphics';

export interface AnnexERow {
  /** 8 hex digits (upper case), `x` for repeating-group digits (e.g. `60XX3000`), or `PRIVATE`. */
  readonly tag: string;
  readonly name: string;
  /** VR from PS3.6 (may read "OB or OW"); empty when the dictionary has none. */
  readonly vr: string;
  readonly basic: AnnexEAction;
  readonly options?: Partial<Record<AnnexEOptionColumn, 'K' | 'C'>>;
}
