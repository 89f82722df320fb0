/**
 * Reason codes. Messages attached to them are fixed strings or carry only structural facts
 * (offsets, tags, transfer syntax UIDs), never a value read from the file, so they can be logged.
 */
export type DicomRejectionCode =
  | 'empty_file'
  | 'not_dicom'
  | 'missing_part10_header'
  | 'truncated'
  | 'invalid_length'
  | 'invalid_encoding'
  | 'unsupported_transfer_syntax'
  | 'unsupported_sop_class'
  | 'missing_required_attribute'
  | 'patient_unidentified'
  | 'patient_conflict'
  | 'patient_resolver_error'
  | 'patient_opted_out'
  | 'io_error'
  | 'internal_error';

/** Why an otherwise de-identifiable instance is held back for human review instead of released. */
export type DicomQuarantineReason = 'burned_in_annotation' | 'recognizable_visual_features' | 'encapsulated_document' | 'embedded_overlay';

/** Thrown by the parser and engine; turned into a `rejected` outcome at the API boundary. */
export class DicomRejection extends Error {
  constructor(
    readonly code: DicomRejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'DicomRejection';
  }
}

export const tagString = (tag: number): string => {
  const h = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${h.slice(0, 4)},${h.slice(4)})`;
};
