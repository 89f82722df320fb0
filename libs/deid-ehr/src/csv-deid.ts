import type { ProjectKeys } from '@harbour/pseudonymisation';
import { canonicalNhsNumber, postcodeArea, postcodeOutward } from '@harbour/nhs';
import { normaliseCsvDate, shiftDate, yearOf } from './fhir-dates.js';
import type { DeidProfile } from './profile.js';
import type { PatientContext } from './deidentify.js';
import { collectCsvIdentifiers, type KnownIdentifiers, type Scrubber } from './scrub.js';
import type { RecordError } from './rejections.js';

/**
 * Flat CSV extracts: one patients file and one events file. Column names are matched after
 * normalisation (case, surrounding space, BOM; spaces and dashes become `_`), and each accepted
 * column has aliases common in NHS extracts. Unlisted columns are dropped (fail closed).
 */
export const CSV_PATIENT_COLUMNS = {
  nhs_number: ['nhs_number', 'nhs_no', 'nhsnumber', 'nhs'],
  dob: ['dob', 'date_of_birth', 'birth_date', 'birthdate'],
  sex: ['sex', 'gender', 'stated_gender'],
  postcode: ['postcode', 'post_code', 'postal_code'],
  ethnicity: ['ethnicity', 'ethnic_category', 'ethnic_category_code'],
  date_of_death: ['date_of_death', 'dod', 'deceased_date', 'death_date'],
  // identifying columns: read only to scrub free text, never written
  given_name: ['given_name', 'first_name', 'forename', 'forenames', 'given_names'],
  family_name: ['family_name', 'surname', 'last_name'],
  mrn: ['mrn', 'local_patient_id', 'hospital_number', 'patient_id', 'local_id'],
  address: [
    'address',
    'address_line_1',
    'address_line_2',
    'address_line_3',
    'address1',
    'address2',
    'address3',
    'street',
    'town',
    'city',
    'county',
  ],
  phone: ['phone', 'telephone', 'phone_number', 'mobile', 'home_phone', 'mobile_phone'],
  email: ['email', 'email_address'],
} as const;

export const CSV_EVENT_COLUMNS = {
  nhs_number: ['nhs_number', 'nhs_no', 'nhsnumber', 'nhs'],
  event_id: ['event_id', 'id', 'record_id'],
  encounter_id: ['encounter_id', 'visit_id', 'episode_id'],
  category: ['category', 'event_type', 'type'],
  code_system: ['code_system', 'system', 'coding_system', 'codesystem'],
  code: ['code', 'concept_code', 'snomed_code', 'read_code'],
  display: ['display', 'description', 'term', 'code_display'],
  date: ['date', 'event_date', 'effective_date', 'start_date', 'date_time'],
  end_date: ['end_date', 'stop_date'],
  value: ['value', 'result', 'result_value', 'numeric_value'],
  unit: ['unit', 'units', 'uom'],
  free_text: ['free_text', 'notes', 'note', 'comment', 'comments', 'text'],
} as const;

export type CsvKind = 'patients' | 'events';

type Spec = Record<string, readonly string[]>;

/** For each canonical column, the header names present (first alias found; address/phone keep all). */
export function resolveColumns<S extends Spec>(header: readonly string[], spec: S): { [K in keyof S]: string[] } {
  const present = new Set(header);
  const out = {} as { [K in keyof S]: string[] };
  for (const key of Object.keys(spec) as (keyof S)[]) {
    const all = spec[key]!.filter((a) => present.has(a));
    out[key] = key === 'address' || key === 'phone' || key === 'email' ? all : all.slice(0, 1);
  }
  return out;
}

/** Decide whether a header is a patients file or an events file. */
export function classifyCsvHeader(header: readonly string[], fileName = ''): CsvKind | undefined {
  const has = (aliases: readonly string[]): boolean => aliases.some((a) => header.includes(a));
  if (!has(CSV_PATIENT_COLUMNS.nhs_number)) return undefined;
  if (has(CSV_EVENT_COLUMNS.code)) return 'events';
  if (/event|observation|activity|diagnos|procedure/i.test(fileName) && !has(CSV_PATIENT_COLUMNS.dob)) return 'events';
  return 'patients';
}

const first = (row: Record<string, string>, cols: readonly string[]): string => {
  for (const c of cols) {
    const v = row[c];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return '';
};

/** NHS Data Dictionary "person stated gender code" and common spellings → FHIR administrative gender. */
export function normaliseSex(raw: string): string {
  const v = raw.trim().toLowerCase();
  if (v === 'm' || v === 'male' || v === '1') return 'male';
  if (v === 'f' || v === 'female' || v === '2') return 'female';
  if (v === '9' || v === 'i' || v === 'indeterminate' || v === 'other' || v === 'o') return 'other';
  return v === '' ? '' : 'unknown';
}

export function csvPatientOutputHeader(profile: DeidProfile): string[] {
  const h = ['pseudonym', 'birth_year', 'sex', 'postcode_district'];
  if (profile.ethnicity === 'keep') h.push('ethnicity');
  h.push('date_of_death');
  return h;
}

export function csvEventOutputHeader(profile: DeidProfile): string[] {
  const h = ['pseudonym', 'event_id', 'encounter_id', 'category', 'code_system', 'code', 'display', 'date', 'end_date', 'value', 'unit'];
  if (profile.freeText === 'scrub') h.push('free_text');
  return h;
}

export type CsvPatientResult =
  | { ok: true; nhsNumber: string; values: string[]; birthYear?: number; sex: string; district: string; known?: KnownIdentifiers }
  | { ok: false; error: RecordError };

/** De-identify one patients row. `values` follows {@link csvPatientOutputHeader}. */
export function deidentifyCsvPatientRow(
  row: Record<string, string>,
  cols: { [K in keyof typeof CSV_PATIENT_COLUMNS]: string[] },
  keys: ProjectKeys,
  profile: DeidProfile,
  collectKnown: boolean,
): CsvPatientResult {
  const rawNhs = first(row, cols.nhs_number);
  if (rawNhs === '') return { ok: false, error: { code: 'missing_nhs_number', message: 'Row has no NHS number' } };
  const nhs = canonicalNhsNumber(rawNhs);
  if (nhs === undefined) return { ok: false, error: { code: 'invalid_nhs_number', message: 'NHS number fails the Modulus 11 check' } };
  const offset = keys.dateOffsetDays(nhs);
  let birthYear: number | undefined;
  const dobRaw = first(row, cols.dob);
  if (dobRaw !== '') {
    const dob = normaliseCsvDate(dobRaw);
    const shifted = dob !== undefined ? shiftDate(dob, offset) : undefined;
    if (shifted === undefined) return { ok: false, error: { code: 'invalid_date', message: 'Invalid date in dob' } };
    birthYear = yearOf(shifted);
  }
  let dod = '';
  const dodRaw = first(row, cols.date_of_death);
  if (dodRaw !== '') {
    const d = normaliseCsvDate(dodRaw);
    const shifted = d !== undefined ? shiftDate(d, offset) : undefined;
    if (shifted === undefined) return { ok: false, error: { code: 'invalid_date', message: 'Invalid date in date_of_death' } };
    dod = shifted;
  }
  const pcRaw = first(row, cols.postcode);
  const district =
    pcRaw === '' || profile.postcode === 'remove'
      ? ''
      : ((profile.postcode === 'area' ? postcodeArea(pcRaw) : postcodeOutward(pcRaw)) ?? '');
  const sex = normaliseSex(first(row, cols.sex));
  let by = '';
  if (birthYear !== undefined && profile.birthDate !== 'remove') {
    const y =
      profile.birthDate === 'band5'
        ? birthYear - (birthYear % 5)
        : profile.birthDate === 'band10'
          ? birthYear - (birthYear % 10)
          : birthYear;
    by = String(y);
  }
  const values = [keys.pseudonym(nhs), by, sex, district];
  if (profile.ethnicity === 'keep') values.push(first(row, cols.ethnicity));
  values.push(dod);
  const known = collectKnown
    ? collectCsvIdentifiers(row, nhs, {
        names: [...cols.given_name, ...cols.family_name],
        ids: cols.mrn,
        address: cols.address,
        phones: cols.phone,
        emails: cols.email,
        postcode: cols.postcode[0],
      })
    : undefined;
  return { ok: true, nhsNumber: nhs, values, birthYear: by === '' ? undefined : Number(by), sex, district, known };
}

/** De-identify one events row for its patient. `values` follows {@link csvEventOutputHeader}. */
export function deidentifyCsvEventRow(
  row: Record<string, string>,
  cols: { [K in keyof typeof CSV_EVENT_COLUMNS]: string[] },
  patient: PatientContext,
  keys: ProjectKeys,
  profile: DeidProfile,
  scrub: Scrubber | undefined,
): { ok: true; values: string[] } | { ok: false; error: RecordError } {
  const shift = (name: string, raw: string): string | RecordError => {
    if (raw === '') return '';
    const d = normaliseCsvDate(raw);
    const s = d !== undefined ? shiftDate(d, patient.dateOffsetDays) : undefined;
    return s ?? { code: 'invalid_date', message: `Invalid date in ${name}` };
  };
  const date = shift('date', first(row, cols.date));
  if (typeof date !== 'string') return { ok: false, error: date };
  const end = shift('end_date', first(row, cols.end_date));
  if (typeof end !== 'string') return { ok: false, error: end };
  const eventId = first(row, cols.event_id);
  const encId = first(row, cols.encounter_id);
  const values = [
    patient.pseudonym,
    eventId === '' ? '' : keys.recordId('csv-event', eventId),
    encId === '' ? '' : keys.recordId('Encounter', encId),
    first(row, cols.category),
    first(row, cols.code_system),
    first(row, cols.code),
    first(row, cols.display),
    date,
    end,
    first(row, cols.value),
    first(row, cols.unit),
  ];
  if (profile.freeText === 'scrub') {
    const ft = first(row, cols.free_text);
    values.push(ft === '' || !scrub ? '' : scrub(ft));
  }
  return { ok: true, values };
}

/** RFC 4180 field quoting. */
export function csvLine(values: readonly string[]): string {
  return `${values.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',')}\r\n`;
}
