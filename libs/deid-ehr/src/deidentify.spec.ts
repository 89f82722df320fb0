import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deidentifyResource, patientContext, type DeidContext, type PatientContext } from './deidentify.js';
import { DEFAULT_EHR_PROFILE, EHR_DEID_PROFILE_VERSION, makeProfile, type DeidProfile } from './profile.js';
import { collectPatientIdentifiers } from './scrub.js';
import type { FhirResource } from './fhir-types.js';
import type { ProjectKeys } from '@harbour/pseudonymisation';
import { documentReference, encounter, imagingStudy, keysA, keysB, NHS, observation, patient, PLANTED } from './test-fixtures.js';

function ctxFor(keys: ProjectKeys, profile: DeidProfile = DEFAULT_EHR_PROFILE): DeidContext {
  return {
    keys,
    profile,
    resolvePatient: (id) => (id === 'pat-1' ? { status: 'ok', nhsNumber: NHS } : undefined),
    practitionerNames: (id) => (id === 'prac-1' ? ['Hibbert', 'Julius'] : undefined),
  };
}

function run(resource: FhirResource, keys: ProjectKeys = keysA, profile: DeidProfile = DEFAULT_EHR_PROFILE): FhirResource {
  const known = collectPatientIdentifiers(patient(), NHS);
  const pc: PatientContext = patientContext(keys, NHS, known);
  const r = deidentifyResource(structuredClone(resource), pc, ctxFor(keys, profile));
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.resource;
}

function assertNoPlanted(out: unknown): void {
  const s = JSON.stringify(out);
  for (const p of PLANTED) assert.ok(!s.includes(p), `output contains planted ${p}: ${s}`);
  // base64 payloads are decoded and checked too
  for (const m of s.matchAll(/"data":"([^"]+)"/g)) {
    const text = Buffer.from(m[1]!, 'base64').toString('utf8');
    for (const p of PLANTED) assert.ok(!text.includes(p), `attachment contains ${p}: ${text}`);
  }
}

const all = (): FhirResource[] => [patient(), observation(), documentReference(), imagingStudy(), encounter()];

test('default profile: no planted identifier survives in any carrier', () => {
  for (const r of all()) assertNoPlanted(run(r));
});

test('scrub profile keeps free text but removes every planted identifier', () => {
  const scrub = makeProfile({ freeText: 'scrub' });
  for (const r of all()) assertNoPlanted(run(r, keysA, scrub));
  const obs = run(observation(), keysA, scrub);
  assert.match(JSON.stringify(obs.note), /Call \[PHONE\] re \[NAME\], NHS \[NHS NUMBER\]/);
  const doc = run(documentReference(), keysA, scrub);
  const content = doc.content as { attachment: { data: string } }[];
  const letter = Buffer.from(content[0]!.attachment.data, 'base64').toString('utf8');
  assert.match(letter, /\[NAME\]/);
  assert.match(letter, /\[DATE\]/);
});

test('Patient: id is the keyed pseudonym, NHS number gone, birth year, outward postcode, profile recorded', () => {
  const out = run(patient());
  assert.equal(out.id, keysA.pseudonym(NHS));
  assert.deepEqual(
    Object.keys(out).sort(),
    ['active', 'address', 'birthDate', 'deceasedDateTime', 'gender', 'id', 'meta', 'resourceType'].filter((k) => k !== 'active').sort(),
  );
  assert.deepEqual(out.address, [{ postalCode: 'LS1' }]);
  const shiftedBirth = new Date(Date.UTC(1961, 6, 14) + keysA.dateOffsetDays(NHS) * 86400000).getUTCFullYear();
  assert.equal(out.birthDate, String(shiftedBirth));
  const meta = out.meta as { tag: { code: string }[]; security: { code: string }[]; lastUpdated?: string };
  assert.equal(meta.tag[0]!.code, EHR_DEID_PROFILE_VERSION);
  assert.equal(meta.security[0]!.code, 'PSEUDED');
  assert.equal(meta.lastUpdated, undefined);
  assert.equal(out.extension, undefined, 'ethnicity removed by default');
  const withEth = run(patient(), keysA, makeProfile({ ethnicity: 'keep', birthDate: 'band10', postcode: 'area' }));
  assert.deepEqual(withEth.extension, [
    {
      url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory',
      valueCodeableConcept: { coding: [{ system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategory', code: 'A' }] },
    },
  ]);
  assert.deepEqual(withEth.address, [{ postalCode: 'LS' }]);
  assert.match(String(withEth.birthDate), /^\d{3}0$/);
});

test('dates shift by the patient offset; intervals survive exactly (incl. across month ends)', () => {
  const off = keysA.dateOffsetDays(NHS);
  const out = run(observation());
  const p = out.effectivePeriod as { start: string; end: string };
  assert.equal(Date.parse(p.end) - Date.parse(p.start), 3600_000);
  assert.equal(Date.parse(p.start) - Date.parse('2023-02-28T23:30:00Z'), off * 86400_000);
  assert.equal(out.issued, new Date(Date.parse('2023-03-01T01:00:00.123Z') + off * 86400000).toISOString());
  const enc = run(encounter());
  const ep = enc.period as { start: string; end: string };
  assert.equal(Date.parse(ep.end) - Date.parse(ep.start), Date.parse('2023-03-03T16:00:00Z') - Date.parse('2023-02-27T10:00:00Z'));
  // the same patient in another project gets another offset and pseudonym
  const outB = run(observation(), keysB);
  assert.notEqual((outB.subject as { reference: string }).reference, (out.subject as { reference: string }).reference);
});

test('codes, values and units preserved exactly and in order; free text removed', () => {
  const out = run(observation());
  assert.deepEqual(out.code, {
    coding: [
      { system: 'http://loinc.org', code: '85354-9', display: 'Blood pressure panel' },
      { system: 'http://snomed.info/sct', code: '75367002', display: 'Blood pressure' },
    ],
  });
  assert.deepEqual((out.component as unknown[])[0], {
    code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
    valueQuantity: { value: 120.5, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
  });
  assert.equal(out.valueString, undefined);
  assert.equal(out.text, undefined);
  assert.equal(out.unknownElement, undefined);
  assert.equal(out._status, undefined);
  assert.equal(out.extension, undefined);
});

test('references: patient → pseudonym, others → recordId, contained ids renumbered, contained Patient dropped', () => {
  const out = run(observation());
  assert.deepEqual(out.subject, { reference: `Patient/${keysA.pseudonym(NHS)}` });
  assert.deepEqual(out.encounter, { reference: `Encounter/${keysA.recordId('Encounter', 'enc-1')}` });
  assert.deepEqual(out.performer, [{ reference: '#c1' }, { reference: `Practitioner/${keysA.recordId('Practitioner', 'prac-1')}` }]);
  assert.deepEqual(out.contained, [{ resourceType: 'Practitioner', id: 'c1' }]);
  assert.equal(out.id, keysA.recordId('Observation', 'obs-1'));
  const enc = run(encounter());
  assert.equal(enc.id, keysA.recordId('Encounter', 'enc-1'));
  assert.deepEqual(enc.identifier, [
    { system: 'https://trust.example/visit', value: keysA.recordId('identifier|https://trust.example/visit', 'V-0098877') },
  ]);
});

test('ImagingStudy UIDs map with keys.uid (as the DICOM de-identifier does), urn:oid: form kept', () => {
  const out = run(imagingStudy());
  const ids = out.identifier as { system?: string; value: string }[];
  assert.equal(ids[0]!.value, `urn:oid:${keysA.uid('1.2.826.0.1.3680043.8.498.12345')}`);
  const series = (out.series as { uid: string; instance: { uid: string }[] }[])[0]!;
  assert.equal(series.uid, keysA.uid('1.2.826.0.1.3680043.8.498.12346'));
  assert.equal(series.instance[0]!.uid, keysA.uid('1.2.826.0.1.3680043.8.498.12347'));
  assert.equal(ids[1]!.value, keysA.recordId('accession', 'ACC-555123'));
});

test('fail closed: modifierExtension and invalid dates refuse the record; other types refused', () => {
  const pc = patientContext(keysA, NHS);
  const r1 = deidentifyResource(observation({ modifierExtension: [{ url: 'x', valueBoolean: true }] }), pc, ctxFor(keysA));
  assert.equal(r1.ok ? '' : r1.error.code, 'unsupported_modifier_extension');
  const r2 = deidentifyResource(observation({ issued: '2023-02-30T10:00:00Z' }), pc, ctxFor(keysA));
  assert.equal(r2.ok ? '' : r2.error.code, 'invalid_date');
  const r3 = deidentifyResource({ resourceType: 'Claim', id: 'x' }, pc, ctxFor(keysA));
  assert.equal(r3.ok ? '' : r3.error.code, 'unsupported_resource_type');
  const r4 = deidentifyResource(observation(), undefined, ctxFor(keysA));
  assert.equal(r4.ok ? '' : r4.error.code, 'missing_patient_reference');
});

test('Condition assertedDate extension (a date in an extension) is shifted', () => {
  const cond: FhirResource = {
    resourceType: 'Condition',
    id: 'c',
    extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/condition-assertedDate', valueDateTime: '2020-01-10' }],
    code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
    subject: { reference: 'Patient/pat-1' },
    onsetDateTime: '2020-01-01',
  };
  const out = run(cond);
  const asserted = (out.extension as { valueDateTime: string }[])[0]!.valueDateTime;
  assert.equal((Date.parse(asserted) - Date.parse(out.onsetDateTime as string)) / 86400000, 9);
  assert.notEqual(asserted, '2020-01-10');
});
