import { canonicalNhsNumber, isValidNhsNumber, isNhsNumberSystem } from '@harbour/nhs';
import { isObject, type FhirResource } from './fhir-types.js';
import { isValidFhirDate, looksLikeDate } from './fhir-dates.js';
import { parseLiteralReference } from './deidentify.js';
import type { RecordError } from './rejections.js';

/** Outcome of reading a Patient's NHS number (NHS Data Dictionary, Modulus 11). */
export type NhsNumberResult = { ok: true; nhsNumber: string } | { ok: false; error: RecordError };

/**
 * The NHS number of a Patient: the identifier with system https://fhir.nhs.uk/Id/nhs-number
 * (UK Core Patient). Spaces and dashes are tolerated. A Patient without one is refused
 * (`missing_nhs_number`): pseudonyms, date offsets and opt-outs are all keyed by the NHS number, so
 * such a record could be neither linked nor checked against the National Data Opt-out.
 */
export function extractNhsNumber(patient: FhirResource): NhsNumberResult {
  const ids = Array.isArray(patient.identifier) ? patient.identifier : [];
  const found = new Set<string>();
  let invalid = 0;
  for (const id of ids) {
    if (!isObject(id) || !isNhsNumberSystem(id.system)) continue;
    const v = typeof id.value === 'string' ? canonicalNhsNumber(id.value) : undefined;
    if (v === undefined || !isValidNhsNumber(v)) invalid++;
    else found.add(v);
  }
  if (found.size > 1)
    return { ok: false, error: { code: 'conflicting_nhs_numbers', message: 'Patient has more than one distinct NHS number' } };
  const [nhs] = found;
  if (nhs !== undefined) return { ok: true, nhsNumber: nhs };
  if (invalid > 0) return { ok: false, error: { code: 'invalid_nhs_number', message: 'Patient NHS number fails the Modulus 11 check' } };
  return { ok: false, error: { code: 'missing_nhs_number', message: 'Patient has no NHS number identifier' } };
}

/** What a scan of a whole resource found. */
export interface ResourceScan {
  error?: RecordError;
  /** Ids of every Patient referenced (`Patient/<id>`, absolute URLs, resolved urn:uuid). */
  patientIds: Set<string>;
  /** NHS numbers of logical references (`Reference.identifier` with the NHS number system). */
  patientNhsNumbers: Set<string>;
}

/**
 * One pass over a resource: every date-shaped string must be a real date (anywhere, extensions
 * included), and every patient reference is collected so the resource can be tied to one patient.
 */
export function scanResource(resource: FhirResource, urlMap?: ReadonlyMap<string, string>): ResourceScan {
  const scan: ResourceScan = { patientIds: new Set(), patientNhsNumbers: new Set() };
  const visit = (value: unknown, key: string, depth: number): void => {
    if (scan.error || depth > 100) {
      if (!scan.error) scan.error = { code: 'not_a_resource', message: 'Resource is nested too deeply' };
      return;
    }
    if (typeof value === 'string') {
      if (value.length >= 7 && value.length <= 40 && looksLikeDate(value) && !isValidFhirDate(value)) {
        scan.error = { code: 'invalid_date', message: `Invalid date in ${key}` };
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) visit(v, key, depth + 1);
      return;
    }
    if (!isObject(value)) return;
    const ref = value.reference;
    if (typeof ref === 'string' && key !== 'contained') {
      const lit = parseLiteralReference(urlMap?.get(ref) ?? ref);
      if (lit?.type === 'Patient') scan.patientIds.add(lit.id);
      else if (!lit && ref.startsWith('urn:uuid:') && !urlMap?.has(ref)) {
        // unresolved urn:uuid: might be a patient we only know by fullUrl (pass 1 indexes those)
        if (value.type === 'Patient') scan.patientIds.add(ref);
      }
    } else if (isObject(value.identifier) && isNhsNumberSystem(value.identifier.system) && typeof value.identifier.value === 'string') {
      const nhs = canonicalNhsNumber(value.identifier.value);
      if (nhs === undefined)
        scan.error = { code: 'invalid_nhs_number', message: `Referenced NHS number in ${key} fails the Modulus 11 check` };
      else scan.patientNhsNumbers.add(nhs);
    }
    for (const k in value) {
      const v = value[k];
      if (typeof v === 'string') {
        if (v.length >= 7 && v.length <= 40 && looksLikeDate(v) && !isValidFhirDate(v)) {
          scan.error = { code: 'invalid_date', message: `Invalid date in ${k}` };
          return;
        }
      } else if (v !== null && typeof v === 'object') visit(v, k, depth + 1);
    }
  };
  visit(resource, resource.resourceType, 0);
  return scan;
}
