import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConsent, evaluateConsent } from './consent.js';
import { achieveKAnonymity, computeKAnonymity } from './k-anonymity.js';
import { makeScrubber, emptyKnown } from './scrub.js';
import { acceptRecord, deidentifyStoredResource } from './pipeline.js';
import { MemoryPatientIndex } from './patient-index.js';
import { isValidFhirDate, normaliseCsvDate, shiftDate } from './fhir-dates.js';
import { keysA, NHS, observation, patient } from './test-fixtures.js';

const HRESCH = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HRESCH' };

test('Consent: provision tree with period, purpose and project exception', () => {
  const c = parseConsent({
    resourceType: 'Consent',
    id: 'c1',
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] },
    dateTime: '2022-01-01',
    provision: {
      type: 'permit',
      period: { start: '2022-01-01', end: '2026-12-31' },
      purpose: [HRESCH],
      provision: [{ type: 'deny', actor: [{ reference: { reference: 'ResearchStudy/pharma-1' } }] }],
    },
  });
  assert.equal(c.active, true);
  assert.equal(c.provision?.type, 'permit');
  assert.equal(evaluateConsent([c], { at: '2024-05-01', purpose: HRESCH, projectReference: 'ResearchStudy/uni-1' }), 'permit');
  assert.equal(evaluateConsent([c], { at: '2024-05-01', purpose: HRESCH, projectReference: 'ResearchStudy/pharma-1' }), 'deny');
  assert.equal(evaluateConsent([c], { at: '2027-05-01', purpose: HRESCH }), 'not-specified');
  assert.equal(evaluateConsent([{ ...c, status: 'inactive', active: false }], { at: '2024-05-01', purpose: HRESCH }), 'not-specified');
});

test('k-anonymity: computed over birth year, sex, district; ladder then suppression reaches the target', () => {
  const recs = [
    { birthYear: 1961, sex: 'female', district: 'LS1' },
    { birthYear: 1962, sex: 'female', district: 'LS1' },
    { birthYear: 1963, sex: 'female', district: 'LS2' },
    { birthYear: 1990, sex: 'male', district: 'M1' },
  ];
  assert.equal(computeKAnonymity(recs).k, 1);
  const r = achieveKAnonymity(recs, 3, 0.25);
  assert.ok(r.report.k >= 3);
  assert.equal(r.suppressed, 1);
  assert.deepEqual(r.records[0], { birthYear: 1960, sex: 'female', district: 'LS' });
});

test('k-anonymity: the plan from class counts releases only classes of at least k, and reports what it released', () => {
  let seed = 7;
  const rnd = (n: number): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  const recs = Array.from({ length: 3000 }, () => ({
    birthYear: 1930 + rnd(80),
    sex: ['female', 'male', 'unknown'][rnd(3)],
    district: `LS${1 + rnd(30)}`,
  }));
  for (const k of [2, 5, 20]) {
    const r = achieveKAnonymity(recs, k);
    const released = computeKAnonymity(r.records, k);
    assert.ok(released.k >= k, `k=${k}: got ${released.k}`);
    assert.deepEqual(r.report, released);
    assert.equal(r.report.suppressed, r.suppressed);
    assert.equal(r.records.length, recs.length);
  }
});

test('scrubber pattern-matches identifiers nobody told it about', () => {
  const s = makeScrubber(emptyKnown());
  const out = s(
    'Mrs Jane Doe (NHS 943-476-5919, 9434765919) rang from +44 7700 900123 or (0113) 496 0000; email j.doe@nhs.net; lives YO10 5DD; seen 3rd March 2021 and 12/04/2022.',
  );
  for (const leak of ['Jane', '943-476-5919', '9434765919', '7700 900123', '496 0000', 'j.doe', 'YO10', 'March 2021', '12/04/2022'])
    assert.ok(!out.includes(leak), `${leak} in ${out}`);
});

test('ingestion pipeline: acceptRecord ties a record to its patient; stored resource de-identifies alone', () => {
  const index = new MemoryPatientIndex();
  const p = acceptRecord(JSON.stringify(patient()), { file: 'Patient.ndjson', line: 1, expectedType: 'Patient' }, { index });
  assert.equal(p.kind, 'accepted');
  if (p.kind !== 'accepted') return;
  assert.equal(p.record.nhsNumber, NHS);
  index.add(NHS, ['pat-1'], false);
  const o = acceptRecord(observation(), { file: 'Observation.ndjson', line: 7 }, { index });
  assert.equal(o.kind, 'accepted');
  if (o.kind !== 'accepted') return;
  const d = deidentifyStoredResource(o.record, keysA);
  assert.ok(d.ok);
  if (d.ok) assert.deepEqual(d.resource.subject, { reference: `Patient/${keysA.pseudonym(NHS)}` });
  const x = acceptRecord(observation({ subject: { reference: 'Patient/zzz' } }), { file: 'o.ndjson', line: 9 }, { index });
  assert.deepEqual(x.kind === 'rejected' ? x.rejection : undefined, {
    file: 'o.ndjson',
    line: 9,
    code: 'unknown_patient',
    message: 'Observation references a patient not in the extract',
  });
  const optIndex = new MemoryPatientIndex();
  const optPatient = acceptRecord(patient(), { file: 'p.ndjson', line: 1 }, { index: optIndex, optOuts: new Set([NHS]) });
  assert.equal(optPatient.kind, 'excluded');
  optIndex.add(NHS, ['pat-1'], true);
  const opt = acceptRecord(observation(), { file: 'o.ndjson', line: 10 }, { index: optIndex });
  assert.equal(opt.kind, 'excluded');
});

test('dates: real calendar only; shifting preserves intervals (property)', () => {
  for (const bad of ['2023-02-29', '2023-02-30', '2023-13-01', '2023-04-31', '2023-01-01T24:00:00Z', '0000-01-01'])
    assert.equal(isValidFhirDate(bad), false, bad);
  for (const ok of ['2024-02-29', '2023', '2023-07', '2023-07-01T10:00:00+01:00', '2023-07-01T10:00:00.123Z'])
    assert.equal(isValidFhirDate(ok), true, ok);
  assert.equal(normaliseCsvDate('14/07/1961'), '1961-07-14');
  assert.equal(normaliseCsvDate('31/02/1961'), undefined);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 20000 }),
      fc.integer({ min: 0, max: 3000 }),
      fc.integer({ min: -365, max: 365 }),
      (a, gap, off) => {
        const d1 = new Date(Date.UTC(1950, 0, 1) + a * 86400000).toISOString().slice(0, 10);
        const d2 = new Date(Date.UTC(1950, 0, 1) + (a + gap) * 86400000).toISOString().slice(0, 10);
        const s1 = shiftDate(d1, off)!;
        const s2 = shiftDate(d2, off)!;
        return (Date.parse(s2) - Date.parse(s1)) / 86400000 === gap;
      },
    ),
  );
});
