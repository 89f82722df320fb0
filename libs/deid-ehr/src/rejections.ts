/**
 * Rejection reason codes. A rejection names where a record was (file relative to the input
 * directory, 1-based physical line) and why, and never carries an identifying value: messages are
 * fixed templates filled only with element names, counts and indexes.
 */
export const REJECTION_CODES = [
  /** The line is not valid JSON (RFC 8259). */
  'invalid_json',
  /** The bytes of the record are not valid UTF-8 (FHIR R4 §2.6.2: JSON SHALL be UTF-8). */
  'invalid_utf8',
  /** A single record is larger than the reader's limit (10 MiB by default); it was skipped unread. */
  'record_too_large',
  /** The JSON value is not a FHIR resource (not an object, or no resourceType). */
  'not_a_resource',
  /** resourceType differs from the type the NDJSON file holds (Bulk Data: one type per file). */
  'resource_type_mismatch',
  /** The resource type has no de-identification profile: fail closed. */
  'unsupported_resource_type',
  /** The resource carries no id, so references to it could not be rewritten consistently. */
  'missing_id',
  /** A Patient has no NHS number identifier (system https://fhir.nhs.uk/Id/nhs-number). */
  'missing_nhs_number',
  /** An NHS number fails the Modulus 11 check (NHS Data Dictionary) or is not ten digits. */
  'invalid_nhs_number',
  /** A Patient carries two different valid NHS numbers. */
  'conflicting_nhs_numbers',
  /** A second Patient record for an NHS number already seen; its id is linked to the first. */
  'duplicate_patient',
  /** A date, dateTime or instant that is not a real calendar date/time (e.g. 2023-02-30). */
  'invalid_date',
  /** A patient-compartment resource that references no patient. */
  'missing_patient_reference',
  /** A resource whose references point at more than one patient (no single date offset applies). */
  'multiple_patients',
  /** The referenced patient is not in the extract. */
  'unknown_patient',
  /** The referenced patient's own record was rejected. */
  'patient_rejected',
  /** A modifierExtension the profile does not understand (FHIR R4 §2.1.0.6: must not be ignored). */
  'unsupported_modifier_extension',
  /** A Bundle type other than transaction, batch, collection or searchset, or an entry with no resource. */
  'unsupported_bundle',
  /** A CSV row that does not fit the header (wrong column count, unterminated quote). */
  'invalid_csv_row',
  /** A CSV file whose header lacks a required column. */
  'invalid_csv_header',
  /** The file could not be read at all. */
  'unreadable_file',
] as const;

export type RejectionCode = (typeof REJECTION_CODES)[number];

/** One refused record: where it was and why. Never contains an identifying value. */
export interface Rejection {
  /** Path of the input file relative to the input directory (or as given to a reader). */
  file: string;
  /** 1-based physical line of the record's first byte (0 when the whole file was refused). */
  line: number;
  code: RejectionCode;
  message: string;
}

/** An error found while reading or checking one record, before its location is attached. */
export interface RecordError {
  code: RejectionCode;
  message: string;
}

export function recordError(code: RejectionCode, message: string): RecordError {
  return { code, message };
}
