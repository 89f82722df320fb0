/**
 * @harbour/deid-dicom: DICOM de-identification to PS3.15 Annex E (Basic Application Level
 * Confidentiality Profile and options), as a tag-level streaming rewriter. See README.md.
 */
export {
  deidentifyDicomFile,
  deidentifyDicomBuffer,
  deidentifyDicomDirectory,
  readDicomIndex,
  type DicomDeidContext,
  type DicomDeidOutcome,
  type DicomDeidReceipt,
  type DeidentifiedInstance,
  type DicomIndexEntry,
  type DicomDirectoryContext,
  type DicomDirectoryProgress,
  type DicomDirectorySummary,
  type DicomRejectionEntry,
} from './deidentify.js';
export { DicomRejection, type DicomRejectionCode, type DicomQuarantineReason } from './errors.js';
export type { PatientLookup, ResolvePatient } from './deid/identity.js';
export {
  HARBOUR_IMPLEMENTATION_CLASS_UID,
  HARBOUR_IMPLEMENTATION_VERSION_NAME,
  type DeidCounts,
  type SafePrivateTag,
} from './deid/engine.js';
export {
  ANNEX_E_EDITION,
  ANNEX_E_TABLE,
  ALL_ANNEX_E_OPTIONS,
  DEFAULT_ANNEX_E_OPTIONS,
  DICOM_DEID_PROFILE_ID,
  DICOM_DEID_PROFILE_VERSION,
  CID_7050,
  annexERow,
  resolveAction,
  type AnnexEOption,
  type AnnexEAction,
  type AnnexERow,
  type AnnexEOptionColumn,
  type EffectiveAction,
} from './profile/profile.js';
