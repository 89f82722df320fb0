/**
 * Hand-written FHIR R4 fixtures with identifiers planted in every carrier (test support only).
 */
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import type { FhirResource } from './fhir-types.js';

export const MASTER = Buffer.alloc(32, 9);
export const keysA = deriveProjectKeys(MASTER, 'project-a');
export const keysB = deriveProjectKeys(MASTER, 'project-b');

export const NHS = '9434765919';
export const NHS_SPACED = '943 476 5919';
export const OTHER_NHS = '9990000018'; // 999 test range, Modulus 11 valid

/** Strings that must never appear in any output. */
export const PLANTED = [
  NHS,
  NHS_SPACED,
  '943-476-5919',
  'Ermintrude',
  'Fotheringham',
  'MRN7781234',
  'V-0098877',
  '17 Acacia Avenue',
  'Little Whinging',
  'LS1 4AP',
  '07700 900461',
  'ermintrude.f@example.com',
  'Quentin Blakeworth',
  'Dr Hibbert',
  'Barnaby Rudge',
  '1961-07-14',
  'ACC-555123',
  '1.2.826.0.1.3680043.8.498.12345',
  'secret-contained-id',
  'private-ext-value',
];

export function patient(overrides: Record<string, unknown> = {}): FhirResource {
  return {
    resourceType: 'Patient',
    id: 'pat-1',
    meta: { lastUpdated: '2024-01-02T03:04:05Z', source: 'urn:trust:pas' },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ermintrude Fotheringham 943 476 5919</div>' },
    extension: [
      {
        url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory',
        valueCodeableConcept: {
          coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory', code: 'A' }],
          text: 'Ermintrude says British',
        },
      },
      { url: 'https://example.org/private', valueString: 'private-ext-value' },
    ],
    identifier: [
      { system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS_SPACED },
      { system: 'https://trust.example/mrn', value: 'MRN7781234' },
    ],
    name: [{ use: 'official', family: 'Fotheringham', given: ['Ermintrude'], prefix: ['Mrs'] }],
    telecom: [
      { system: 'phone', value: '07700 900461' },
      { system: 'email', value: 'ermintrude.f@example.com' },
    ],
    gender: 'female',
    birthDate: '1961-07-14',
    deceasedDateTime: '2024-03-01T10:00:00Z',
    address: [{ use: 'home', line: ['17 Acacia Avenue'], city: 'Little Whinging', postalCode: 'LS1 4AP' }],
    photo: [{ contentType: 'image/png', data: 'aGVsbG8=' }],
    contact: [{ name: { text: 'Barnaby Rudge' }, telecom: [{ system: 'phone', value: '0113 496 0000' }] }],
    ...overrides,
  };
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

export function observation(overrides: Record<string, unknown> = {}): FhirResource {
  return {
    resourceType: 'Observation',
    id: 'obs-1',
    meta: { lastUpdated: '2024-01-02T03:04:05Z' },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Ermintrude BP</div>' },
    contained: [
      { resourceType: 'Practitioner', id: 'secret-contained-id', name: [{ family: 'Blakeworth', given: ['Quentin'] }] },
      { resourceType: 'Patient', id: 'p2', name: [{ family: 'Fotheringham' }] },
    ],
    extension: [{ url: 'https://example.org/anything', valueDate: '1961-07-14' }],
    identifier: [{ system: 'https://trust.example/lab', value: 'V-0098877' }],
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: {
      coding: [
        { system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' },
        { system: 'http://snomed.info/sct', code: '75367002', display: 'Blood pressure' },
      ],
      text: 'BP for Ermintrude',
    },
    subject: { reference: 'Patient/pat-1', display: 'Ermintrude Fotheringham' },
    encounter: { reference: 'Encounter/enc-1' },
    effectivePeriod: { start: '2023-02-28T23:30:00Z', end: '2023-03-01T00:30:00Z' },
    issued: '2023-03-01T01:00:00.123Z',
    performer: [
      { reference: '#secret-contained-id', display: 'Quentin Blakeworth' },
      { reference: 'Practitioner/prac-1', display: 'Dr Hibbert' },
    ],
    valueString: 'Ermintrude was anxious',
    note: [{ authorString: 'Dr Hibbert', time: '2023-03-01T02:00:00Z', text: 'Call 07700 900461 re Ermintrude, NHS 943-476-5919' }],
    component: [
      {
        code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
        valueQuantity: { value: 120.5, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
        extension: [{ url: 'https://example.org/x', valueString: 'private-ext-value' }],
      },
      {
        code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
        valueQuantity: { value: 80, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      },
    ],
    unknownElement: 'MRN7781234',
    _status: { extension: [{ url: 'x', valueString: 'private-ext-value' }] },
    ...overrides,
  };
}

export function documentReference(): FhirResource {
  return {
    resourceType: 'DocumentReference',
    id: 'doc-1',
    masterIdentifier: { system: 'https://trust.example/doc', value: 'ACC-555123' },
    status: 'current',
    type: { coding: [{ system: 'http://snomed.info/sct', code: '373942005' }] },
    subject: { reference: 'Patient/pat-1' },
    date: '2023-03-02T09:00:00Z',
    description: 'Letter for Ermintrude Fotheringham',
    content: [
      {
        attachment: {
          contentType: 'text/plain',
          data: b64(
            'Dear Dr Hibbert, re Ermintrude Fotheringham (NHS 943 476 5919), 17 Acacia Avenue, Little Whinging LS1 4AP. Tel 07700 900461. Seen 14/07/2023.',
          ),
          url: 'https://pas.trust.example/docs/MRN7781234',
          hash: 'abc',
          title: 'Fotheringham letter',
        },
      },
    ],
  };
}

export function imagingStudy(): FhirResource {
  return {
    resourceType: 'ImagingStudy',
    id: 'img-1',
    identifier: [
      { system: 'urn:dicom:uid', value: 'urn:oid:1.2.826.0.1.3680043.8.498.12345' },
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] }, value: 'ACC-555123' },
    ],
    status: 'available',
    subject: { reference: 'Patient/pat-1' },
    started: '2023-03-01T08:00:00Z',
    series: [
      {
        uid: '1.2.826.0.1.3680043.8.498.12346',
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'CT' },
        instance: [
          { uid: '1.2.826.0.1.3680043.8.498.12347', sopClass: { system: 'urn:ietf:rfc:3986', code: 'urn:oid:1.2.840.10008.5.1.4.1.1.2' } },
        ],
      },
    ],
  };
}

export function encounter(overrides: Record<string, unknown> = {}): FhirResource {
  return {
    resourceType: 'Encounter',
    id: 'enc-1',
    identifier: [{ system: 'https://trust.example/visit', value: 'V-0098877' }],
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    subject: { reference: 'Patient/pat-1' },
    period: { start: '2023-02-27T10:00:00Z', end: '2023-03-03T16:00:00Z' },
    ...overrides,
  };
}
