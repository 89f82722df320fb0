import type { ProjectKeys } from '@harbour/pseudonymisation';
import { isObject, type FhirResource } from './fhir-types.js';
import { DEFAULT_EHR_PROFILE, type DeidProfile } from './profile.js';
import { extractNhsNumber, scanResource } from './validate.js';
import { collectPatientIdentifiers, type KnownIdentifiers } from './scrub.js';
import { parseConsent, type ParsedConsent } from './consent.js';
import { deidentifyResource, patientContext, type DeidResult, type PatientLookup } from './deidentify.js';
import type { PatientIndex } from './patient-index.js';
import type { Rejection, RecordError } from './rejections.js';

/** Where a record came from. */
export interface RecordLocation {
  /** File relative to the extract root. */
  file: string;
  /** 1-based physical line (NDJSON line, Bundle entry start, CSV row start). */
  line: number;
  /** The resource type the file holds (NDJSON file name), when known. */
  expectedType?: string;
  /** Bundle fullUrl → `Type/id`, for urn:uuid references. */
  urlMap?: ReadonlyMap<string, string>;
}

/**
 * A record that passed validation, still identifiable: what the ingestion pipeline stores in the
 * vault. Bundle urn:uuid references are already rewritten to `Type/id`, so the stored resource
 * stands alone.
 */
export interface IdentifiableRecord {
  resourceType: string;
  /** Original resource id. */
  id?: string;
  /** Canonical NHS number of the patient the resource belongs to (absent for Practitioner etc.). */
  nhsNumber?: string;
  resource: FhirResource;
  /** Parsed Consent, for Consent resources. */
  consent?: ParsedConsent;
  /** For Patient records when asked for: identifiers to scrub the patient's free text with. */
  known?: KnownIdentifiers;
}

export type RecordOutcome =
  | { kind: 'accepted'; record: IdentifiableRecord }
  | { kind: 'rejected'; rejection: Rejection }
  /** The patient is on the opt-out list: the record is dropped silently and only counted. */
  | { kind: 'excluded'; reason: 'opted_out'; resourceType: string; nhsNumber: string };

export interface AcceptOptions {
  index: PatientIndex;
  profile?: DeidProfile;
  /** Canonical NHS numbers of patients who opted out (National Data Opt-out or study-specific). */
  optOuts?: ReadonlySet<string>;
  /** Collect a Patient's identifiers for scrubbing (only useful when the profile scrubs). */
  collectKnown?: boolean;
}

function reject(loc: RecordLocation, error: RecordError): RecordOutcome {
  return { kind: 'rejected', rejection: { file: loc.file, line: loc.line, code: error.code, message: error.message } };
}

function resolveUrnReferences(value: unknown, urlMap: ReadonlyMap<string, string>, depth = 0): void {
  if (depth > 100) return;
  if (Array.isArray(value)) {
    for (const v of value) resolveUrnReferences(v, urlMap, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.reference === 'string') {
    const mapped = urlMap.get(value.reference);
    if (mapped !== undefined) value.reference = mapped;
  }
  for (const k in value) {
    const v = value[k];
    if (v !== null && typeof v === 'object') resolveUrnReferences(v, urlMap, depth + 1);
  }
}

/**
 * Validate one record and tie it to its patient. Input is the raw line (string) or an already
 * parsed value. Checks, in order: JSON, resource shape, type matches the file, type is profiled,
 * id present, every date real, then for a Patient its NHS number (Modulus 11) and the opt-out list,
 * and for anything else that it references exactly one patient who is known and not rejected.
 * Never throws for bad data; the rejection carries no identifying value.
 */
export function acceptRecord(input: string | unknown, loc: RecordLocation, options: AcceptOptions): RecordOutcome {
  const profile = options.profile ?? DEFAULT_EHR_PROFILE;
  let value: unknown = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return reject(loc, { code: 'invalid_json', message: 'Record is not valid JSON' });
    }
  }
  if (!isObject(value) || typeof value.resourceType !== 'string' || value.resourceType === '') {
    return reject(loc, { code: 'not_a_resource', message: 'Record is not a FHIR resource (no resourceType)' });
  }
  const resource = value as FhirResource;
  const type = resource.resourceType;
  if (loc.expectedType !== undefined && type !== loc.expectedType) {
    return reject(loc, {
      code: 'resource_type_mismatch',
      message: `File holds ${loc.expectedType} but record is ${/^[A-Za-z]{1,64}$/.test(type) ? type : 'another type'}`,
    });
  }
  const rp = profile.resources[type];
  if (!rp) {
    return reject(loc, {
      code: 'unsupported_resource_type',
      message: `No de-identification profile for ${/^[A-Za-z]{1,64}$/.test(type) ? type : 'this type'}`,
    });
  }
  if (type !== 'Patient' && (typeof resource.id !== 'string' || resource.id === '')) {
    return reject(loc, { code: 'missing_id', message: `${type} has no id` });
  }
  const scan = scanResource(resource, loc.urlMap);
  if (scan.error) return reject(loc, scan.error);
  if (loc.urlMap && loc.urlMap.size > 0) resolveUrnReferences(resource, loc.urlMap);

  if (type === 'Patient') {
    const nhs = extractNhsNumber(resource);
    if (!nhs.ok) return reject(loc, nhs.error);
    if (options.optOuts?.has(nhs.nhsNumber)) return { kind: 'excluded', reason: 'opted_out', resourceType: type, nhsNumber: nhs.nhsNumber };
    return {
      kind: 'accepted',
      record: {
        resourceType: type,
        id: resource.id,
        nhsNumber: nhs.nhsNumber,
        resource,
        known: options.collectKnown ? collectPatientIdentifiers(resource, nhs.nhsNumber) : undefined,
      },
    };
  }

  if (!rp.patientCompartment) {
    if (scan.patientIds.size > 0 || scan.patientNhsNumbers.size > 0) {
      // A non-compartment resource carries no date offset; a patient link would be unshiftable.
      return reject(loc, { code: 'multiple_patients', message: `${type} unexpectedly references a patient` });
    }
    return { kind: 'accepted', record: { resourceType: type, id: resource.id, resource } };
  }

  const lookups: PatientLookup[] = [];
  for (const id of scan.patientIds) lookups.push(options.index.byId(id));
  for (const nhs of scan.patientNhsNumbers) lookups.push(options.index.byNhs(nhs));
  if (lookups.length === 0) return reject(loc, { code: 'missing_patient_reference', message: `${type} references no patient` });
  const nhsNumbers = new Set<string>();
  let optedOut = false;
  for (const l of lookups) {
    if (l === undefined) return reject(loc, { code: 'unknown_patient', message: `${type} references a patient not in the extract` });
    if (l.status === 'rejected')
      return reject(loc, { code: 'patient_rejected', message: `${type} references a patient whose record was rejected` });
    if (l.status === 'opted_out') optedOut = true;
    nhsNumbers.add(l.nhsNumber);
  }
  if (nhsNumbers.size > 1) return reject(loc, { code: 'multiple_patients', message: `${type} references more than one patient` });
  const nhsNumber = nhsNumbers.values().next().value as string;
  if (optedOut) return { kind: 'excluded', reason: 'opted_out', resourceType: type, nhsNumber };
  return {
    kind: 'accepted',
    record: { resourceType: type, id: resource.id, nhsNumber, resource, consent: type === 'Consent' ? parseConsent(resource) : undefined },
  };
}

export interface StoredDeidOptions {
  profile?: DeidProfile;
  /** The patient's known identifiers (scrubbing); looked up by the caller from its own store. */
  known?: KnownIdentifiers;
  /** Practitioner names by original id (scrubbing). */
  practitionerNames?(id: string): readonly string[] | undefined;
}

/**
 * De-identify a stored identifiable record for a project. Records from {@link acceptRecord} reference
 * exactly one patient, so every patient reference in them is that patient.
 */
export function deidentifyStoredResource(record: IdentifiableRecord, keys: ProjectKeys, options: StoredDeidOptions = {}): DeidResult {
  const profile = options.profile ?? DEFAULT_EHR_PROFILE;
  const nhs = record.nhsNumber;
  const patient = nhs !== undefined ? patientContext(keys, nhs, profile.freeText === 'scrub' ? options.known : undefined) : undefined;
  return deidentifyResource(record.resource, patient, {
    keys,
    profile,
    resolvePatient: () => (nhs !== undefined ? { status: 'ok', nhsNumber: nhs } : undefined),
    practitionerNames: options.practitionerNames,
  });
}
