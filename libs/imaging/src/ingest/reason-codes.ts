import type { DicomRejectionCode } from '@harbour/deid-dicom';

/** Why a received file or part was not stored: the de-identifier's codes plus transport ones. */
export type IngestFailureCode =
  | DicomRejectionCode
  | 'study_mismatch'
  | 'duplicate_conflict'
  | 'previously_rejected'
  | 'unsupported_part_type'
  | 'part_too_large'
  | 'body_truncated';

/**
 * Failure Reason (0008,1197) values for STOW-RS responses (PS3.18 §10.5.3, codes from PS3.4
 * Annex B.2.3 / PS3.7 Annex C): A700 out of resources, A900 data set does not match SOP class,
 * C000 cannot understand, C122 transfer syntax not supported, 0110 processing failure,
 * 0111 duplicate SOP instance, 0122 SOP class not supported.
 */
export function failureReasonFor(code: IngestFailureCode): number {
  switch (code) {
    case 'empty_file':
    case 'not_dicom':
    case 'missing_part10_header':
    case 'truncated':
    case 'invalid_length':
    case 'invalid_encoding':
    case 'unsupported_part_type':
    case 'body_truncated':
      return 0xc000;
    case 'unsupported_transfer_syntax':
      return 0xc122;
    case 'unsupported_sop_class':
      return 0x0122; // Refused: SOP Class not supported (PS3.4 B.2.3)
    case 'missing_required_attribute':
    case 'study_mismatch':
      return 0xa900;
    case 'part_too_large':
      return 0xa700;
    case 'duplicate_conflict':
      return 0x0111;
    case 'patient_unidentified':
    case 'patient_conflict':
    case 'patient_resolver_error':
    case 'patient_opted_out':
    case 'previously_rejected':
    case 'io_error':
    case 'internal_error':
      return 0x0110;
  }
}
