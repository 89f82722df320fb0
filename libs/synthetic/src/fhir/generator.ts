import { nhsCheckDigit, NHS_NUMBER_SYSTEM } from '@harbour/nhs';
import { Rng } from './prng.js';
import {
  CONDITIONS,
  DMD,
  ETHNICITY,
  FAMILY,
  GIVEN_FEMALE,
  GIVEN_MALE,
  IMAGING,
  LOINC,
  MEDICATIONS,
  OBSERVATIONS,
  PROCEDURES,
  SNOMED,
  STREETS,
  TOWNS,
  UCUM,
} from './reference-data.js';

/** A FHIR R4 resource as plain JSON. */
export type SyntheticResource = { resourceType: string; id: string } & Record<string, unknown>;

/** The identifying facts planted in a synthetic patient's record (what de-identification must remove). */
export interface SyntheticPerson {
  nhsNumber: string;
  mrn: string;
  given: string;
  middle: string;
  family: string;
  gender: 'male' | 'female';
  birthDate: string;
  line: string;
  city: string;
  postcode: string;
  phone: string;
  email: string;
  ethnicity: string;
  contactName: string;
}

export interface SyntheticPatient {
  person: SyntheticPerson;
  /** Patient first, then the rest; every reference resolves within the patient or to the shared staff. */
  resources: SyntheticResource[];
}

export interface GeneratorOptions {
  /** Fraction of patients with an ImagingStudy (default 0.3). */
  imagingRate?: number;
  /** Fraction of patients with a research Consent (default 0.1). */
  consentRate?: number;
}

export const MRN_SYSTEM = 'https://fhir.example-trust.nhs.uk/Id/mrn';
export const VISIT_SYSTEM = 'https://fhir.example-trust.nhs.uk/Id/visit-number';
export const ACCESSION_SYSTEM = 'https://fhir.example-trust.nhs.uk/Id/accession';
const ETHNIC_URL = 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory';
const ETHNIC_SYSTEM = 'https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory';

const STAFF_COUNT = 40;
const ORG_COUNT = 6;

/** Ids of the shared Practitioner and Organization resources every patient references. */
export function staffIds(seed: number | string): { practitioners: string[]; organizations: string[] } {
  const rng = new Rng(seed, -1);
  return {
    practitioners: Array.from({ length: STAFF_COUNT }, () => rng.uuid()),
    organizations: Array.from({ length: ORG_COUNT }, () => rng.uuid()),
  };
}

/** Practitioner and Organization resources (shared by all patients of a seed). */
export function generateStaff(seed: number | string): SyntheticResource[] {
  const ids = staffIds(seed);
  const rng = new Rng(seed, -2);
  const out: SyntheticResource[] = [];
  ids.organizations.forEach((id, i) => {
    out.push({
      resourceType: 'Organization',
      id,
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: `R${String(100 + i)}` }],
      active: true,
      type: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov', display: 'Healthcare Provider' }] },
      ],
      name: `${rng.pick(TOWNS).city} ${i % 2 === 0 ? 'Teaching Hospitals NHS Trust' : 'Medical Practice'}`,
      telecom: [{ system: 'phone', value: `0113 496 ${String(rng.int(0, 9999)).padStart(4, '0')}` }],
    });
  });
  ids.practitioners.forEach((id, i) => {
    const female = rng.chance(0.5);
    out.push({
      resourceType: 'Practitioner',
      id,
      identifier: [{ system: 'https://fhir.hl7.org.uk/Id/gmc-number', value: `C${String(4000000 + i * 37)}` }],
      active: true,
      name: [{ family: rng.pick(FAMILY), given: [rng.pick(female ? GIVEN_FEMALE : GIVEN_MALE)], prefix: ['Dr'] }],
      gender: female ? 'female' : 'male',
      qualification: [{ code: { coding: [{ system: SNOMED, code: '309343006', display: 'Physician' }] } }],
    });
  });
  return out;
}

function withCheckDigit(nine: string): string | undefined {
  const c = nhsCheckDigit(nine);
  return c === undefined ? undefined : nine + c;
}

/**
 * NHS numbers in the 999 test range (never issued to real people) that pass Modulus 11, unique for
 * the first ~900,000 patients of a stream (the range holds no more valid numbers); beyond that
 * they repeat.
 */
export class TestNhsNumbers {
  private cursor = 0;
  constructor(private readonly offset: number) {}

  next(): string {
    for (;;) {
      const k = (this.cursor++ * 7919 + this.offset) % 1_000_000;
      const n = withCheckDigit(`999${String(k).padStart(6, '0')}`);
      if (n !== undefined) return n;
    }
  }
}

const pad2 = (n: number): string => String(n).padStart(2, '0');
function date(rng: Rng, fromYear: number, toYear: number): string {
  return `${rng.int(fromYear, toYear)}-${pad2(rng.int(1, 12))}-${pad2(rng.int(1, 28))}`;
}
function addDays(d: string, days: number): string {
  const t = new Date(`${d}T00:00:00Z`).getTime() + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
function instant(d: string, rng: Rng): string {
  return `${d}T${pad2(rng.int(7, 20))}:${pad2(rng.int(0, 59))}:${pad2(rng.int(0, 59))}+00:00`;
}
function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
function uid(rng: Rng): string {
  return `1.2.826.0.1.3680043.8.498.${rng.next()}${rng.next()}`;
}

/** Generate one patient (index within a seeded stream) and all their resources. */
export function generatePatient(
  rng: Rng,
  nhsNumber: string,
  staff: { practitioners: string[]; organizations: string[] },
  options: GeneratorOptions = {},
): SyntheticPatient {
  const gender = rng.chance(0.5) ? 'female' : 'male';
  const given = rng.pick(gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE);
  const middle = rng.pick(gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE);
  const family = rng.pick(FAMILY);
  const town = rng.pick(TOWNS);
  const postcode = `${rng.pick(town.outward)} ${rng.int(1, 9)}${String.fromCharCode(65 + rng.int(0, 25))}${String.fromCharCode(65 + rng.int(0, 25))}`;
  const person: SyntheticPerson = {
    nhsNumber,
    mrn: `RX${rng.int(1000000, 9999999)}`,
    given,
    middle,
    family,
    gender,
    birthDate: date(rng, 1930, 2015),
    line: `${rng.int(1, 250)} ${rng.pick(STREETS)}`,
    city: town.city,
    postcode,
    phone: `07700 ${String(rng.int(900000, 900999))}`,
    email: `${given}.${family}${rng.int(1, 99)}@example.com`.toLowerCase().replace(/'/g, ''),
    ethnicity: rng.pick(ETHNICITY)[0],
    contactName: `${rng.pick(GIVEN_FEMALE)} ${family}`,
  };
  const pid = rng.uuid();
  const subject = { reference: `Patient/${pid}`, display: `${given} ${family}` };
  const practitioner = (): Record<string, unknown> => {
    const id = rng.pick(staff.practitioners);
    return { reference: `Practitioner/${id}`, display: 'Dr On Call' };
  };
  const org = (): Record<string, unknown> => ({ reference: `Organization/${rng.pick(staff.organizations)}` });
  const formattedNhs = `${nhsNumber.slice(0, 3)} ${nhsNumber.slice(3, 6)} ${nhsNumber.slice(6)}`;
  const resources: SyntheticResource[] = [];
  resources.push({
    resourceType: 'Patient',
    id: pid,
    meta: { lastUpdated: `${date(rng, 2023, 2024)}T10:00:00Z`, profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient'] },
    text: {
      status: 'generated',
      div: `<div xmlns="http://www.w3.org/1999/xhtml">${given} ${family}, NHS ${formattedNhs}, ${person.line}, ${postcode}</div>`,
    },
    extension: [{ url: ETHNIC_URL, valueCodeableConcept: { coding: [{ system: ETHNIC_SYSTEM, code: person.ethnicity }] } }],
    identifier: [
      { system: NHS_NUMBER_SYSTEM, value: nhsNumber },
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
        system: MRN_SYSTEM,
        value: person.mrn,
      },
    ],
    active: true,
    name: [{ use: 'official', family, given: [given, middle], prefix: [gender === 'female' ? 'Ms' : 'Mr'] }],
    telecom: [
      { system: 'phone', value: person.phone, use: 'mobile' },
      { system: 'email', value: person.email },
    ],
    gender,
    birthDate: person.birthDate,
    address: [{ use: 'home', line: [person.line], city: town.city, postalCode: postcode }],
    maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: 'M' }] },
    contact: [{ name: { text: person.contactName }, telecom: [{ system: 'phone', value: `0113 496 ${String(rng.int(1000, 9999))}` }] }],
    generalPractitioner: [org()],
    managingOrganization: org(),
  });

  const encounters: string[] = [];
  const encDates: string[] = [];
  const nEnc = rng.int(2, 4);
  for (let i = 0; i < nEnc; i++) {
    const id = rng.uuid();
    const start = date(rng, 2015, 2024);
    const inpatient = rng.chance(0.3);
    encounters.push(id);
    encDates.push(start);
    resources.push({
      resourceType: 'Encounter',
      id,
      identifier: [{ system: VISIT_SYSTEM, value: `V${rng.int(10000000, 99999999)}` }],
      status: 'finished',
      class: {
        system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
        code: inpatient ? 'IMP' : 'AMB',
        display: inpatient ? 'inpatient encounter' : 'ambulatory',
      },
      type: [
        {
          coding: [
            {
              system: SNOMED,
              code: inpatient ? '183452005' : '185347001',
              display: inpatient ? 'Emergency hospital admission' : 'Encounter for problem',
            },
          ],
        },
      ],
      subject,
      participant: [{ individual: practitioner(), period: { start: `${start}T09:30:00+00:00` } }],
      period: {
        start: `${start}T09:${pad2(rng.int(0, 29))}:00+00:00`,
        end: `${addDays(start, inpatient ? rng.int(1, 12) : 0)}T17:${pad2(rng.int(0, 59))}:00+00:00`,
      },
      serviceProvider: org(),
    });
  }
  const enc = (): { ref: Record<string, unknown>; date: string } => {
    const i = rng.int(0, encounters.length - 1);
    return { ref: { reference: `Encounter/${encounters[i]}` }, date: encDates[i]! };
  };

  const nCond = rng.int(1, 3);
  for (let i = 0; i < nCond; i++) {
    const [code, display] = rng.pick(CONDITIONS);
    const e = enc();
    resources.push({
      resourceType: 'Condition',
      id: rng.uuid(),
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/condition-assertedDate', valueDateTime: e.date }],
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      code: { coding: [{ system: SNOMED, code, display }], text: display },
      subject,
      encounter: e.ref,
      onsetDateTime: addDays(e.date, -rng.int(0, 400)),
      recordedDate: e.date,
      recorder: practitioner(),
      note: [
        {
          text: `Seen with ${given} ${family} (${formattedNhs}); lives at ${person.line}. Call ${person.phone}.`,
          time: instant(e.date, rng),
        },
      ],
    });
  }

  const obsIds: string[] = [];
  const nObs = rng.int(12, 18);
  for (let i = 0; i < nObs; i++) {
    const e = enc();
    const id = rng.uuid();
    obsIds.push(id);
    const eff = instant(e.date, rng);
    if (i % 6 === 0) {
      resources.push({
        resourceType: 'Observation',
        id,
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: LOINC, code: '85354-9', display: 'Blood pressure panel with all children optional' }] },
        subject,
        encounter: e.ref,
        effectiveDateTime: eff,
        component: [
          {
            code: { coding: [{ system: LOINC, code: '8480-6', display: 'Systolic blood pressure' }] },
            valueQuantity: { value: rng.around(128, 25), unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
          },
          {
            code: { coding: [{ system: LOINC, code: '8462-4', display: 'Diastolic blood pressure' }] },
            valueQuantity: { value: rng.around(80, 15), unit: 'mmHg', system: UCUM, code: 'mm[Hg]' },
          },
        ],
      });
      continue;
    }
    const [code, display, unit, mean, spread, dec] = rng.pick(OBSERVATIONS);
    resources.push({
      resourceType: 'Observation',
      id,
      meta: { lastUpdated: `${e.date}T12:00:00Z` },
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: i % 2 ? 'laboratory' : 'vital-signs' }] },
      ],
      code: { coding: [{ system: LOINC, code, display }] },
      subject,
      encounter: e.ref,
      effectiveDateTime: eff,
      issued: eff,
      performer: [practitioner()],
      valueQuantity: { value: rng.around(mean, spread, dec), unit, system: UCUM, code: unit },
    });
  }

  const nMed = rng.int(1, 3);
  for (let i = 0; i < nMed; i++) {
    const [code, display, dose] = rng.pick(MEDICATIONS);
    const e = enc();
    resources.push({
      resourceType: 'MedicationRequest',
      id: rng.uuid(),
      identifier: [{ system: 'https://fhir.example-trust.nhs.uk/Id/prescription', value: `P${rng.int(100000, 999999)}` }],
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { coding: [{ system: DMD, code, display }] },
      subject,
      encounter: e.ref,
      authoredOn: e.date,
      requester: practitioner(),
      dosageInstruction: [
        {
          text: dose,
          timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
          doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }],
        },
      ],
      dispenseRequest: { validityPeriod: { start: e.date, end: addDays(e.date, 28) }, numberOfRepeatsAllowed: 3 },
      note: [{ text: `Reviewed with ${given} by phone ${person.phone}` }],
    });
  }

  const [pcode, pdisplay] = rng.pick(PROCEDURES);
  const pe = enc();
  resources.push({
    resourceType: 'Procedure',
    id: rng.uuid(),
    status: 'completed',
    code: { coding: [{ system: SNOMED, code: pcode, display: pdisplay }] },
    subject,
    encounter: pe.ref,
    performedPeriod: { start: `${pe.date}T10:00:00+00:00`, end: `${pe.date}T1${rng.int(1, 6)}:${pad2(rng.int(0, 59))}:00+00:00` },
    performer: [{ actor: practitioner() }],
  });

  const re = enc();
  const reportText = `Report for ${given} ${family}, NHS number ${formattedNhs}, DOB ${person.birthDate}. Results within expected range.`;
  resources.push({
    resourceType: 'DiagnosticReport',
    id: rng.uuid(),
    identifier: [
      {
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
        system: ACCESSION_SYSTEM,
        value: `ACC${rng.int(100000, 999999)}`,
      },
    ],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] }],
    code: { coding: [{ system: LOINC, code: '24323-8', display: 'Comprehensive metabolic 2000 panel - Serum or Plasma' }] },
    subject,
    encounter: re.ref,
    effectiveDateTime: instant(re.date, rng),
    issued: instant(re.date, rng),
    result: obsIds.slice(0, 3).map((id) => ({ reference: `Observation/${id}` })),
    conclusion: reportText,
    presentedForm: [{ contentType: 'text/plain', data: b64(reportText) }],
  });

  const de = enc();
  const letter = `Dear Dr,\nRe: ${given} ${middle} ${family}, ${person.line}, ${town.city} ${postcode}\nNHS No: ${formattedNhs}  Tel: ${person.phone}  Email: ${person.email}\nDischarged on ${de.date} after an uneventful stay.\n`;
  resources.push({
    resourceType: 'DocumentReference',
    id: rng.uuid(),
    masterIdentifier: { system: 'https://fhir.example-trust.nhs.uk/Id/document', value: `DOC${rng.int(100000, 999999)}` },
    status: 'current',
    type: { coding: [{ system: SNOMED, code: '373942005', display: 'Discharge summary' }] },
    subject,
    date: instant(de.date, rng),
    author: [practitioner()],
    description: `Discharge letter for ${given} ${family}`,
    content: [
      {
        attachment: {
          contentType: 'text/plain; charset=utf-8',
          data: b64(letter),
          title: `Discharge ${family}`,
          creation: instant(de.date, rng),
        },
      },
    ],
    context: { encounter: [de.ref], period: { start: de.date, end: addDays(de.date, 1) } },
  });

  if (rng.chance(options.imagingRate ?? 0.3)) {
    const [modality, code, display] = rng.pick(IMAGING);
    const ie = enc();
    const nSeries = rng.int(1, 3);
    resources.push({
      resourceType: 'ImagingStudy',
      id: rng.uuid(),
      identifier: [
        { system: 'urn:dicom:uid', value: `urn:oid:${uid(rng)}` },
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
          system: ACCESSION_SYSTEM,
          value: `ACC${rng.int(100000, 999999)}`,
        },
      ],
      status: 'available',
      modality: [{ system: 'http://dicom.nema.org/resources/ontology/DCM', code: modality }],
      subject,
      encounter: ie.ref,
      started: instant(ie.date, rng),
      numberOfSeries: nSeries,
      numberOfInstances: nSeries * 2,
      procedureCode: [{ coding: [{ system: SNOMED, code, display }] }],
      description: `${display} for ${given} ${family}`,
      series: Array.from({ length: nSeries }, (_, s) => ({
        uid: uid(rng),
        number: s + 1,
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: modality },
        numberOfInstances: 2,
        instance: [1, 2].map((n) => ({
          uid: uid(rng),
          sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' },
          number: n,
        })),
      })),
    });
  }

  if (rng.chance(options.consentRate ?? 0.1)) {
    const ce = enc();
    resources.push({
      resourceType: 'Consent',
      id: rng.uuid(),
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '57016-8', display: 'Privacy policy acknowledgment Document' }] }],
      patient: { reference: `Patient/${pid}` },
      dateTime: instant(ce.date, rng),
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
      provision: {
        type: rng.chance(0.8) ? 'permit' : 'deny',
        period: { start: ce.date, end: addDays(ce.date, 1825) },
        purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HRESCH', display: 'healthcare research' }],
      },
    });
  }
  return { person, resources };
}

/**
 * Deterministic stream of synthetic patients: the same seed gives the same patients, NHS numbers
 * and resources in the same order. Generates lazily, so millions of patients need no memory.
 */
export function* generatePatients(seed: number | string, count: number, options: GeneratorOptions = {}): Generator<SyntheticPatient> {
  const staff = staffIds(seed);
  const rng = new Rng(seed, 1);
  const nhs = new TestNhsNumbers(new Rng(seed, 2).int(0, 999_999));
  for (let i = 0; i < count; i++) yield generatePatient(rng, nhs.next(), staff, options);
}

/** Async form of {@link generatePatients}, yielding to the event loop every 1,000 patients. */
export async function* streamPatients(
  seed: number | string,
  count: number,
  options: GeneratorOptions = {},
): AsyncGenerator<SyntheticPatient> {
  let n = 0;
  for (const p of generatePatients(seed, count, options)) {
    yield p;
    if (++n % 1000 === 0) await new Promise<void>((r) => setImmediate(r));
  }
}
