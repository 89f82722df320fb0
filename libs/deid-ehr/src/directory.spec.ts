import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deidentifyEhrDirectory } from './directory.js';
import { makeProfile } from './profile.js';
import { computeKAnonymity } from './k-anonymity.js';
import { parseOptOutFileDetailed, parseOptOutFile } from './opt-outs.js';
import type { Rejection } from './rejections.js';
import type { FhirResource } from './fhir-types.js';
import { encounter, keysA, keysB, NHS, observation, OTHER_NHS, patient, PLANTED } from './test-fixtures.js';
import { writeCsvExtract, writeFhirBundles, writeFhirNdjsonExtract, type SyntheticPatient } from '../../synthetic/src/fhir/index.js';

async function tmp(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `deid-ehr-${name}-`));
}

async function readNd(path: string): Promise<FhirResource[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as FhirResource);
}

async function outputText(dir: string): Promise<string> {
  let all = '';
  for (const f of await readdir(dir, { recursive: true })) {
    if (/\.(ndjson|csv|json)$/.test(f)) all += await readFile(join(dir, f), 'utf8');
  }
  return all;
}

/** Every literal reference in the output points at a resource that is in the output. */
async function assertReferencesResolve(dir: string): Promise<void> {
  const ids = new Set<string>();
  const refs: string[] = [];
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.ndjson')) continue;
    for (const r of await readNd(join(dir, f))) {
      ids.add(`${r.resourceType}/${r.id}`);
      JSON.stringify(r, (k, v: unknown) => {
        if (k === 'reference' && typeof v === 'string' && !v.startsWith('#')) refs.push(v);
        return v;
      });
    }
  }
  assert.ok(refs.length > 0);
  for (const r of refs) assert.ok(ids.has(r), `dangling reference ${r}`);
}

test('messy NDJSON: rejections name file and physical line, with no identifying values', async () => {
  const inDir = await tmp('in');
  const outDir = await tmp('out');
  const bad = patient({ id: 'pat-bad', identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765918' }] });
  const noNhs = patient({ id: 'pat-none', identifier: [] });
  const patients = [
    '\uFEFF' + JSON.stringify(patient()),
    '',
    JSON.stringify(bad) + '   ',
    '{not json',
    JSON.stringify(noNhs),
    JSON.stringify(observation({ id: 'misplaced' })),
    JSON.stringify(
      patient({
        id: 'pat-bad-date',
        birthDate: '2023-02-30',
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: OTHER_NHS }],
      }),
    ),
  ].join('\r\n');
  await writeFile(join(inDir, 'Patient.000.ndjson'), patients + '\r\n');
  const obs = [
    JSON.stringify(observation()),
    JSON.stringify(observation({ id: 'o2', subject: { reference: 'Patient/pat-bad' } })),
    JSON.stringify(observation({ id: 'o3', subject: { reference: 'Patient/nobody' } })),
    '',
    JSON.stringify(observation({ id: 'o4', effectivePeriod: { start: '2023-02-29' } })),
    Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1'),
    JSON.stringify(observation({ id: 'o5', subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: NHS } } })),
  ].join('\n');
  await writeFile(
    join(inDir, '1.Observation.ndjson'),
    Buffer.concat([Buffer.from(obs.split('{\u00ff}')[0]!), Buffer.from([0x7b, 0xff, 0x7d]), Buffer.from(obs.split('{\u00ff}')[1]!)]),
  );
  await writeFile(join(inDir, 'Encounter.ndjson'), JSON.stringify(encounter()) + '\n');
  const result = await deidentifyEhrDirectory(inDir, outDir, { keys: keysA });
  const rejections = JSON.parse(await readFile(join(outDir, 'rejections.json'), 'utf8')) as Rejection[];
  const got = rejections.map((r) => `${r.file}:${r.line}:${r.code}`);
  assert.deepEqual(got, [
    'Patient.000.ndjson:3:invalid_nhs_number',
    'Patient.000.ndjson:4:invalid_json',
    'Patient.000.ndjson:5:missing_nhs_number',
    'Patient.000.ndjson:6:resource_type_mismatch',
    'Patient.000.ndjson:7:invalid_date',
    '1.Observation.ndjson:2:patient_rejected',
    '1.Observation.ndjson:3:unknown_patient',
    '1.Observation.ndjson:5:invalid_date',
    '1.Observation.ndjson:6:invalid_utf8',
  ]);
  const rejText = JSON.stringify(rejections);
  for (const p of [...PLANTED, '9434765918', 'pat-bad', 'nobody', '2023-02-29', '2023-02-30']) assert.ok(!rejText.includes(p), p);
  assert.equal(result.rejected, 9);
  const out = await readNd(join(outDir, 'Observation.ndjson'));
  assert.equal(out.length, 2, 'obs-1 and the logical-reference o5');
  assert.deepEqual(out[1]!.subject, { reference: `Patient/${keysA.pseudonym(NHS)}` });
  const text = await outputText(outDir);
  for (const p of PLANTED) assert.ok(!text.includes(p), `planted ${p} in output`);
  const summary = JSON.parse(await readFile(join(outDir, 'deid-summary.json'), 'utf8')) as { profileVersion: string };
  assert.equal(summary.profileVersion, 'harbour-ehr-deid-1.0.0');
});

test('synthetic extract: pseudonyms/offsets are keyed, references resolve, opted-out patients vanish, nothing planted leaks', async () => {
  const inDir = await tmp('syn');
  const people: SyntheticPatient[] = [];
  await writeFhirNdjsonExtract(inDir, 'spec-seed', 40, { onPatient: (p) => people.push(p) });
  const optedOut = people[3]!.person.nhsNumber;
  const outA = await tmp('outA');
  const res = await deidentifyEhrDirectory(inDir, outA, { keys: keysA, optOuts: new Set([optedOut]) });
  assert.equal(res.rejected, 0);
  assert.equal(res.optedOutPatients, 1);
  assert.equal(res.optedOutRecords, people[3]!.resources.length);
  const text = await outputText(outA);
  assert.ok(!text.includes(keysA.pseudonym(optedOut)), 'opted-out pseudonym absent');
  for (const p of people) {
    for (const v of [
      p.person.nhsNumber,
      p.person.mrn,
      p.person.phone,
      p.person.email,
      p.person.line,
      p.person.postcode,
      `"${p.person.birthDate}`,
      p.resources[0]!.id,
    ]) {
      assert.ok(!text.includes(v), `leaked ${v}`);
    }
  }
  await assertReferencesResolve(outA);
  // pseudonym and offset of every output patient are keys.pseudonym / keys.dateOffsetDays
  const p0 = people[0]!;
  const pseudo = keysA.pseudonym(p0.person.nhsNumber);
  const conds = (await readNd(join(outA, 'Condition.ndjson'))).filter(
    (c) => (c.subject as { reference: string }).reference === `Patient/${pseudo}`,
  );
  const srcConds = p0.resources.filter((r) => r.resourceType === 'Condition');
  assert.equal(conds.length, srcConds.length);
  const off = keysA.dateOffsetDays(p0.person.nhsNumber);
  for (let i = 0; i < conds.length; i++) {
    assert.equal((Date.parse(conds[i]!.recordedDate as string) - Date.parse(srcConds[i]!.recordedDate as string)) / 86400000, off);
    assert.deepEqual(conds[i]!.code, { coding: (srcConds[i]!.code as { coding: unknown }).coding });
  }
  // another project: different pseudonyms
  const outB = await tmp('outB');
  await deidentifyEhrDirectory(inDir, outB, { keys: keysB });
  const pats = await readNd(join(outB, 'Patient.ndjson'));
  assert.ok(pats.some((p) => p.id === keysB.pseudonym(p0.person.nhsNumber)));
  assert.ok(!pats.some((p) => p.id === pseudo));
});

test('transaction and collection Bundles: urn:uuid references become pseudonymised relative references', async () => {
  const inDir = await tmp('bundle');
  const people: SyntheticPatient[] = [];
  await writeFhirBundles(join(inDir, 'tx'), 5, 6, { type: 'transaction', patientsPerBundle: 3, onPatient: (p) => people.push(p) });
  await writeFhirBundles(join(inDir, 'coll'), 6, 4, { type: 'collection', patientsPerBundle: 4 });
  const outDir = await tmp('bundle-out');
  const res = await deidentifyEhrDirectory(inDir, outDir, { keys: keysA });
  assert.equal(res.rejected, 0);
  assert.equal(res.written.Patient, 10);
  await assertReferencesResolve(outDir);
  const text = await outputText(outDir);
  assert.ok(!text.includes('urn:uuid:'));
  assert.ok(text.includes(`Patient/${keysA.pseudonym(people[0]!.person.nhsNumber)}`));
});

test('bundle rejections name the entry line', async () => {
  const inDir = await tmp('bundle-bad');
  const bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: [
      { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { ...patient(), id: undefined } },
      { fullUrl: 'urn:uuid:2', resource: { ...observation(), subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } } },
      {
        fullUrl: 'urn:uuid:3',
        resource: {
          ...observation({ id: 'o9' }),
          subject: { reference: 'urn:uuid:99999999-1111-4111-8111-111111111111' },
          issued: '2021-13-01',
        },
      },
    ],
  };
  await writeFile(join(inDir, 'b.json'), JSON.stringify(bundle, null, 2));
  const outDir = await tmp('bundle-bad-out');
  await deidentifyEhrDirectory(inDir, outDir, { keys: keysA });
  const rej = JSON.parse(await readFile(join(outDir, 'rejections.json'), 'utf8')) as Rejection[];
  const text = JSON.stringify(bundle, null, 2).split('\n');
  const thirdEntryLine = text.findIndex((l, i) => i > 0 && l.includes('"fullUrl": "urn:uuid:3"')); // line after "{"
  assert.equal(rej.length, 1);
  assert.equal(rej[0]!.line, thirdEntryLine); // 0-based index of fullUrl line == 1-based line of "{"
  assert.equal(rej[0]!.code, 'invalid_date');
  const obs = await readNd(join(outDir, 'Observation.ndjson'));
  assert.deepEqual(obs[0]!.subject, { reference: `Patient/${keysA.pseudonym(NHS)}` });
});

test('CSV extract: pseudonym column replaces nhs_number, free text removed or scrubbed, messy input tolerated', async () => {
  const inDir = await tmp('csv');
  const people: SyntheticPatient[] = [];
  await writeCsvExtract(inDir, 11, 20, { onPatient: (p) => people.push(p) });
  // messy additions: BOM, odd header case/spacing, CRLF, blank lines, unknown patient, bad date, UK dates
  await writeFile(
    join(inDir, 'extra_patients.csv'),
    `\uFEFF NHS Number ,DOB, Sex ,Postcode,Surname\r\n${NHS_FMT(NHS)},14/07/1961,F,ls1 4ap,Fotheringham\r\n\r\n9434765918,1970-01-01,M,LS2 1AA,X\r\n`,
  );
  await writeFile(
    join(inDir, 'extra_events.csv'),
    `nhs_number,code_system,code,display,date,value,unit,free_text\n${NHS},http://snomed.info/sct,44054006,Diabetes,01/03/2023,,,"Fotheringham seen, tel 07700 900461"\n9990000018,http://loinc.org,8867-4,HR,2023-01-01,70,/min,\n${NHS},http://loinc.org,8867-4,HR,2023-02-30,70,/min,\n`,
  );
  const outDir = await tmp('csv-out');
  const res = await deidentifyEhrDirectory(inDir, outDir, { keys: keysA, optOuts: new Set([people[0]!.person.nhsNumber]) });
  const rej = JSON.parse(await readFile(join(outDir, 'rejections.json'), 'utf8')) as Rejection[];
  assert.deepEqual(
    rej.map((r) => `${r.file}:${r.line}:${r.code}`),
    ['extra_patients.csv:4:invalid_nhs_number', 'extra_events.csv:3:unknown_patient', 'extra_events.csv:4:invalid_date'],
  );
  const pats = await readFile(join(outDir, 'patients.csv'), 'utf8');
  assert.ok(pats.startsWith('pseudonym,birth_year,sex,postcode_district,date_of_death\r\n'));
  assert.ok(!pats.includes(keysA.pseudonym(people[0]!.person.nhsNumber)));
  const extra = await readFile(join(outDir, 'extra_patients.csv'), 'utf8');
  assert.match(extra, new RegExp(`${keysA.pseudonym(NHS)},\\d{4},female,LS1,`));
  const ev = await readFile(join(outDir, 'extra_events.csv'), 'utf8');
  assert.ok(!ev.includes('free_text') && !ev.includes('Fotheringham'));
  const shifted = new Date(Date.UTC(2023, 2, 1) + keysA.dateOffsetDays(NHS) * 86400000).toISOString().slice(0, 10);
  assert.ok(ev.includes(`,44054006,Diabetes,${shifted},`));
  assert.equal(res.optedOutPatients, 1);
  const text = await outputText(outDir);
  for (const p of people)
    for (const v of [p.person.nhsNumber, p.person.phone, p.person.email, p.person.family + ',']) assert.ok(!text.includes(v), v);

  const scrubOut = await tmp('csv-scrub');
  await deidentifyEhrDirectory(inDir, scrubOut, { keys: keysA, profile: makeProfile({ freeText: 'scrub' }) });
  const ev2 = await readFile(join(scrubOut, 'extra_events.csv'), 'utf8');
  assert.match(ev2, /"\[NAME\] seen, tel \[PHONE\]"/);
});

function NHS_FMT(n: string): string {
  return `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
}

test('k-anonymity target generalises released quasi-identifiers', async () => {
  const inDir = await tmp('k');
  await writeFhirNdjsonExtract(inDir, 'k-seed', 150);
  const outDir = await tmp('k-out');
  const res = await deidentifyEhrDirectory(inDir, outDir, { keys: keysA, targetK: 3 });
  assert.ok(res.kAnonymity.k >= 3 || res.kAnonymity.classes === 0, JSON.stringify(res.kAnonymity));
  const pats = await readNd(join(outDir, 'Patient.ndjson'));
  assert.equal(pats.length, 150);
  // k holds over what was written, not only in the report
  const released = computeKAnonymity(
    pats.map((p) => ({
      birthYear: typeof p.birthDate === 'string' ? Number(p.birthDate.slice(0, 4)) : undefined,
      sex: typeof p.gender === 'string' ? p.gender : undefined,
      district: (p.address as { postalCode?: string }[] | undefined)?.[0]?.postalCode,
    })),
    3,
  );
  assert.ok(released.k >= 3 || released.classes === 0, JSON.stringify(released));
  assert.equal(released.suppressed, res.kAnonymity.suppressed);
});

test('opt-out file parsing tolerates BOM, header, spaces, dashes, CSV columns; counts invalid lines', async () => {
  const dir = await tmp('optout');
  const p1 = join(dir, 'list.txt');
  await writeFile(p1, `\uFEFFnhs_number\r\n943 476 5919\r\n\r\n999-000-0018\r\nnot a number\r\n9434765918\r\n`);
  const r = await parseOptOutFileDetailed(p1);
  assert.deepEqual([...r.nhsNumbers].sort(), ['9434765919', '9990000018']);
  assert.equal(r.invalidLines, 2);
  const p2 = join(dir, 'list.csv');
  await mkdir(dir, { recursive: true });
  await writeFile(p2, `id,NHS Number,reason\n1,"943 476 5919",type1\n2,9990000018,type2\n`);
  assert.deepEqual([...(await parseOptOutFile(p2))].sort(), ['9434765919', '9990000018']);
  const p3 = join(dir, 'bare.txt');
  await writeFile(p3, `9434765919\n9990000018\n`);
  assert.equal((await parseOptOutFile(p3)).size, 2);
});
