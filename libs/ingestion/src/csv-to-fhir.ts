import { canonicalNhsNumber, NHS_NUMBER_SYSTEM } from '@harbour/nhs';
import {
  CSV_EVENT_COLUMNS,
  CSV_PATIENT_COLUMNS,
  normaliseCsvDate,
  normaliseSex,
  resolveColumns,
  type FhirResource,
} from '@harbour/deid-ehr';

/**
 * Flat CSV extracts become FHIR R4 resources before they enter the vault, so one validation,
 * de-identification and research projection serves every format. Columns accepted are those of
 * `@harbour/deid-ehr` (CSV_PATIENT_COLUMNS, CSV_EVENT_COLUMNS; README of that lib).
 */
const SYSTEMS: Record<string, string> = {
  snomed: 'http://snomed.info/sct',
  'snomed-ct': 'http://snomed.info/sct',
  snomedct: 'http://snomed.info/sct',
  sct: 'http://snomed.info/sct',
  loinc: 'http://loinc.org',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  'icd-10': 'http://hl7.org/fhir/sid/icd-10',
  dmd: 'https://dmd.nhs.uk',
  'dm+d': 'https://dmd.nhs.uk',
  opcs4: 'http://fhir.nhs.net/CodeSystem/opcs-4',
  'opcs-4': 'http://fhir.nhs.net/CodeSystem/opcs-4',
  opcs: 'http://fhir.nhs.net/CodeSystem/opcs-4',
  read: 'http://read.info/ctv3',
  ctv3: 'http://read.info/ctv3',
};

export function codeSystemUri(raw: string): string {
  const k = raw.trim().toLowerCase().replace(/\s+/g, '');
  return SYSTEMS[k] ?? raw.trim();
}

const first = (row: Record<string, string>, cols: readonly string[]): string | undefined => {
  for (const c of cols) {
    const v = row[c]?.trim();
    if (v) return v;
  }
  return undefined;
};

export function csvPatientToFhir(header: readonly string[], row: Record<string, string>): FhirResource {
  const cols = resolveColumns(header, CSV_PATIENT_COLUMNS);
  const rawNhs = first(row, cols.nhs_number) ?? '';
  const nhs = canonicalNhsNumber(rawNhs) ?? rawNhs.replace(/[\s-]/g, '');
  const dob = first(row, cols.dob);
  const dod = first(row, cols.date_of_death);
  const postcode = first(row, cols.postcode);
  const given = first(row, cols.given_name);
  const family = first(row, cols.family_name);
  const sex = first(row, cols.sex);
  const resource: FhirResource = {
    resourceType: 'Patient',
    id: `csv-${nhs}`,
    identifier: [{ system: NHS_NUMBER_SYSTEM, value: nhs }],
  };
  if (given || family) resource['name'] = [{ family, given: given ? [given] : undefined }];
  if (sex) resource['gender'] = normaliseSex(sex);
  // An unparseable date stays as written so validation rejects the row with `invalid_date`.
  if (dob) resource['birthDate'] = normaliseCsvDate(dob) ?? dob;
  if (dod) resource['deceasedDateTime'] = normaliseCsvDate(dod) ?? dod;
  if (postcode) resource['address'] = [{ postalCode: postcode }];
  return resource;
}

/** An events row → Condition, Observation, MedicationRequest or Procedure, by category or code system. */
export function csvEventToFhir(header: readonly string[], row: Record<string, string>, line: number): FhirResource {
  const cols = resolveColumns(header, CSV_EVENT_COLUMNS);
  const rawNhs = first(row, cols.nhs_number) ?? '';
  const nhs = canonicalNhsNumber(rawNhs) ?? rawNhs.replace(/[\s-]/g, '');
  const system = codeSystemUri(first(row, cols.code_system) ?? 'unknown');
  const code = first(row, cols.code) ?? '';
  const display = first(row, cols.display);
  const dateRaw = first(row, cols.date);
  const date = dateRaw ? (normaliseCsvDate(dateRaw) ?? dateRaw) : undefined;
  const valueRaw = first(row, cols.value);
  const unit = first(row, cols.unit);
  const category = (first(row, cols.category) ?? '').toLowerCase();
  const id = first(row, cols.event_id) ?? `line-${line}`;
  const subject = { identifier: { system: NHS_NUMBER_SYSTEM, value: nhs } };
  const cc = { coding: [{ system, code, display }] };
  const value = valueRaw !== undefined && valueRaw !== '' && Number.isFinite(Number(valueRaw)) ? Number(valueRaw) : undefined;
  const kind =
    /medic|drug|prescri/.test(category) || system === 'https://dmd.nhs.uk'
      ? 'MedicationRequest'
      : /proced|operat/.test(category) || system.includes('opcs')
        ? 'Procedure'
        : /observ|lab|result|vital|measure/.test(category) || system === 'http://loinc.org' || value !== undefined
          ? 'Observation'
          : 'Condition';
  switch (kind) {
    case 'MedicationRequest':
      return { resourceType: kind, id, status: 'active', intent: 'order', subject, medicationCodeableConcept: cc, authoredOn: date };
    case 'Procedure':
      return { resourceType: kind, id, status: 'completed', subject, code: cc, performedDateTime: date };
    case 'Observation':
      return {
        resourceType: kind,
        id,
        status: 'final',
        subject,
        code: cc,
        effectiveDateTime: date,
        ...(value !== undefined ? { valueQuantity: { value, unit } } : {}),
      };
    case 'Condition':
      return { resourceType: kind, id, subject, code: cc, onsetDateTime: date };
  }
}
