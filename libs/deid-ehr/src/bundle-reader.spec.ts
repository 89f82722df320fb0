import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deidentifyEhrDirectory } from './directory.js';
import { readBundle } from './bundle-reader.js';
import { keysA, NHS } from './test-fixtures.js';

/**
 * A transaction Bundle as hospital interfaces send them: POST entries without ids (one even
 * without a fullUrl), an absolute fullUrl, a conditional reference to the patient by NHS number
 * (R4 §3.1.0.4.3), a percent-encoded one, and a contained resource.
 */
function messyTransaction(): Record<string, unknown> {
  const patientUrn = 'urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a';
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: patientUrn,
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }],
          birthDate: '1970-03-12',
        },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        fullUrl: 'https://ehr.trust.example/fhir/Observation/o1',
        resource: {
          resourceType: 'Observation',
          id: 'o1',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
          subject: { reference: `Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${NHS}` },
          effectiveDateTime: '2021-05-01T09:30:00Z',
          contained: [{ resourceType: 'Practitioner', id: 'pr' }],
          performer: [{ reference: '#pr' }],
        },
        request: { method: 'PUT', url: 'Observation/o1' },
      },
      {
        resource: {
          resourceType: 'Condition',
          code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
          subject: { reference: `Patient?identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${NHS}`)}` },
        },
        request: { method: 'POST', url: 'Condition' },
      },
      {
        resource: { resourceType: 'Condition', code: { coding: [{ code: 'x' }] }, subject: { reference: patientUrn } },
        request: { method: 'POST', url: 'Condition' },
      },
    ],
  };
}

test('entries without an id or fullUrl get a content digest id, stable across reads', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'harbour-bundle-'));
  const path = join(dir, 'tx.json');
  await writeFile(path, JSON.stringify(messyTransaction(), null, 2));
  const a = await readBundle(path);
  const b = await readBundle(path);
  const ids = a.entries.map((e) => e.resource?.id);
  assert.ok(
    ids.every((id) => typeof id === 'string' && /^[A-Za-z0-9\-.]{1,64}$/.test(id)),
    JSON.stringify(ids),
  );
  assert.deepEqual(
    b.entries.map((e) => e.resource?.id),
    ids,
  );
  assert.equal(new Set(ids).size, ids.length);
});

test('conditional references to the Bundle patient by NHS number resolve, raw or percent-encoded', async () => {
  const inDir = await mkdtemp(join(tmpdir(), 'harbour-bundle-in-'));
  const outDir = await mkdtemp(join(tmpdir(), 'harbour-bundle-out-'));
  await writeFile(join(inDir, 'tx.json'), JSON.stringify(messyTransaction(), null, 2));
  const res = await deidentifyEhrDirectory(inDir, outDir, { keys: keysA });
  assert.equal(res.rejected, 0, JSON.stringify(await readFile(join(outDir, 'rejections.json'), 'utf8')));
  const subjects = ['Observation', 'Condition'].flatMap((t) =>
    readFileSync(join(outDir, `${t}.ndjson`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { subject: { reference: string } }).subject.reference),
  );
  assert.deepEqual(new Set(subjects), new Set([`Patient/${keysA.pseudonym(NHS)}`]));
  const text = ['Patient', 'Observation', 'Condition'].map((t) => readFileSync(join(outDir, `${t}.ndjson`), 'utf8')).join('');
  assert.ok(!text.includes(NHS), 'the NHS number of the conditional reference is gone');
});

test('an identifier shared by two Bundle resources makes a conditional reference ambiguous: not resolved', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'harbour-bundle-amb-'));
  const bundle = messyTransaction();
  const entries = bundle['entry'] as Record<string, unknown>[];
  entries.push({
    resource: { resourceType: 'Patient', id: 'twin', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS }] },
  });
  const path = join(dir, 'tx.json');
  await writeFile(path, JSON.stringify(bundle));
  const read = await readBundle(path);
  assert.equal(read.urlMap.has(`Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${NHS}`), false);
});

test('the CareConnect NHS number system (http://fhir.nhs.net/Id/nhs-number) still identifies the patient', async () => {
  const inDir = await mkdtemp(join(tmpdir(), 'harbour-legacy-nhs-'));
  const outDir = await mkdtemp(join(tmpdir(), 'harbour-legacy-nhs-out-'));
  const patient = {
    resourceType: 'Patient',
    id: 'legacy',
    identifier: [{ system: 'http://fhir.nhs.net/Id/nhs-number', value: NHS }],
    birthDate: '1980-02-01',
  };
  const condition = {
    resourceType: 'Condition',
    id: 'c',
    code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
    subject: { identifier: { system: 'http://fhir.nhs.net/Id/nhs-number', value: NHS } },
  };
  await writeFile(join(inDir, 'Patient.ndjson'), `${JSON.stringify(patient)}\n`);
  await writeFile(join(inDir, 'Condition.ndjson'), `${JSON.stringify(condition)}\n`);
  const res = await deidentifyEhrDirectory(inDir, outDir, { keys: keysA });
  assert.equal(res.rejected, 0, await readFile(join(outDir, 'rejections.json'), 'utf8'));
  const out = readFileSync(join(outDir, 'Patient.ndjson'), 'utf8') + readFileSync(join(outDir, 'Condition.ndjson'), 'utf8');
  assert.ok(out.includes(`Patient/${keysA.pseudonym(NHS)}`) || out.includes(`"id":"${keysA.pseudonym(NHS)}"`));
  assert.ok(!out.includes(NHS));
});
