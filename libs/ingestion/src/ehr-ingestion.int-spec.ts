import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRuntime, type TestRuntime } from '@harbour/testing';
import { writeFhirNdjsonExtract, writeCsvExtract, type SyntheticPatient } from '@harbour/synthetic';
import { OptOutRepository } from '@harbour/consent';
import { nhsBlindIndex, nhsBlindIndexKey, TrustKeyRing } from '@harbour/vault';
import { IngestionRunner } from './ingestion.runner.js';

describe('EHR ingestion into vault and research store (real PostgreSQL)', () => {
  let rt: TestRuntime;
  let trustId: string;
  let runner: IngestionRunner;
  before(async () => {
    rt = await createTestRuntime();
    const [t] = await rt.db.query<{ id: string }>(`INSERT INTO identity.trust (ods_code, name) VALUES ('XT1', 'Test Trust') RETURNING id`);
    trustId = t!.id;
    runner = new IngestionRunner(rt);
  });
  after(async () => rt?.dispose());

  test('ingests an NDJSON extract, rejects bad lines with file and line, and re-ingesting adds nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'extract-'));
    await writeFhirNdjsonExtract(dir, 7, 20);
    // Plant bad records: invalid JSON on line 2 of an extra Condition file, and a bad NHS number.
    mkdirSync(join(dir, 'extra'));
    writeFileSync(
      join(dir, 'extra', 'Condition.ndjson'),
      '{"resourceType":"Condition","id":"c-ok","subject":{"reference":"Patient/none"}}\n{not json\n',
    );
    writeFileSync(
      join(dir, 'extra', 'Patient.ndjson'),
      JSON.stringify({
        resourceType: 'Patient',
        id: 'bad-nhs',
        identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9434765918' }],
      }) + '\n',
    );
    const batch = await runner.createBatch(trustId, 'fhir', dir, null);
    const done = await runner.run(batch, dir);
    assert.equal(done.status, 'completed');
    assert.ok(done.records_accepted > 20);
    const rejections = await runner.batches.rejections(trustId, batch.id);
    const codes = rejections.map((r) => `${r.file}:${r.line}:${r.code}`);
    assert.ok(codes.includes('extra/Condition.ndjson:2:invalid_json'), codes.join(','));
    assert.ok(codes.includes('extra/Patient.ndjson:1:invalid_nhs_number'), codes.join(','));
    assert.ok(codes.includes('extra/Condition.ndjson:1:unknown_patient'), codes.join(','));
    for (const r of rejections) assert.doesNotMatch(r.message, /9434765918/);

    const [before] = await rt.db.query<{ p: string; r: string; e: string }>(
      `SELECT (SELECT count(*) FROM vault.patient) p, (SELECT count(*) FROM vault.record) r, (SELECT count(*) FROM research.event) e`,
    );
    assert.equal(Number(before!.p), 20);
    const again = await runner.run(await runner.createBatch(trustId, 'fhir', dir, null), dir);
    assert.equal(again.records_accepted, 0);
    assert.equal(again.records_unchanged, done.records_accepted);
    const [afterRows] = await rt.db.query<{ p: string; r: string; e: string }>(
      `SELECT (SELECT count(*) FROM vault.patient) p, (SELECT count(*) FROM vault.record) r, (SELECT count(*) FROM research.event) e`,
    );
    assert.deepEqual(afterRows, before);
  });

  test('the vault holds no identifier in clear', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'extract-'));
    await writeFhirNdjsonExtract(dir, 8, 5);
    const patients = readFileSync(
      join(
        dir,
        readdirSync(dir).find((f) => f.startsWith('Patient'))!,
      ),
      'utf8',
    )
      .split('\n')
      .filter(Boolean);
    const nhs = (JSON.parse(patients[0]!) as { identifier: { system: string; value: string }[] }).identifier.find((i) =>
      i.system.includes('nhs-number'),
    )!.value;
    await runner.run(await runner.createBatch(trustId, 'fhir', dir, null), dir);
    // The raw bytes, so nothing can make this check pass vacuously.
    const blobs = await rt.db.query<{ b: Buffer }>(
      `SELECT identity_enc AS b FROM vault.patient UNION ALL SELECT content_enc FROM vault.record`,
    );
    assert.ok(blobs.length > 5);
    for (const { b } of blobs) assert.equal(b.includes(Buffer.from(nhs)), false);
    const research = await rt.db.query(`SELECT * FROM research.patient`);
    assert.doesNotMatch(JSON.stringify(research), new RegExp(nhs));
  });

  test('a record repeated in one extract, a changed record, an opted-out person, more records than one chunk', async () => {
    const [t] = await rt.db.query<{ id: string }>(
      `INSERT INTO identity.trust (ods_code, name) VALUES ('XT2', 'Second Trust') RETURNING id`,
    );
    const trust = t!.id;
    const dir = mkdtempSync(join(tmpdir(), 'extract-'));
    const people: SyntheticPatient[] = [];
    // ~26 resources a patient: 120 patients span several 2,000-record chunks
    await writeFhirNdjsonExtract(dir, 10, 120, { onPatient: (p) => people.push(p) });
    const obsFile = join(dir, 'Observation.ndjson');
    const obsLines = readFileSync(obsFile, 'utf8').split('\n').filter(Boolean);
    // the same Observation twice in a row (so within one chunk), the second one changed: one row,
    // the later content
    const dup = JSON.parse(obsLines[0]!) as { id: string; status: string };
    obsLines.splice(1, 0, JSON.stringify({ ...dup, status: 'amended' }));
    writeFileSync(obsFile, `${obsLines.join('\n')}\n`);
    // one person is on the National Data Opt-out before the batch runs
    const optedOut = people[5]!;
    const key = nhsBlindIndexKey(rt.keys.masterKey());
    await rt.db.run(() => new OptOutRepository(rt.db).replaceList(trust, 'ndop', [nhsBlindIndex(key, optedOut.person.nhsNumber)], 0, null));

    const first = await runner.run(await runner.createBatch(trust, 'fhir', dir, null), dir);
    assert.equal(first.status, 'completed');
    assert.equal(first.records_rejected, 0);
    assert.equal(first.records_seen, first.records_accepted + first.records_unchanged);
    const count = async (): Promise<{ r: number; e: number; p: number; opted: number }> => {
      const [row] = await rt.db.query<{ r: string; e: string; p: string; opted: string }>(
        `SELECT (SELECT count(*) FROM vault.record WHERE trust_id = $1) r, (SELECT count(*) FROM research.event WHERE trust_id = $1) e,
                (SELECT count(*) FROM research.patient WHERE trust_id = $1) p,
                (SELECT count(*) FROM research.event e JOIN consent.person cp ON cp.id = e.person_id WHERE e.trust_id = $1 AND cp.nhs_bidx = $2) opted`,
        [trust, nhsBlindIndex(key, optedOut.person.nhsNumber)],
      );
      return { r: Number(row!.r), e: Number(row!.e), p: Number(row!.p), opted: Number(row!.opted) };
    };
    const before = await count();
    const nonPatient = people.reduce((a, p) => a + p.resources.filter((r) => r.resourceType !== 'Patient').length, 0);
    const shared = readdirSync(dir)
      .filter((f) => f.startsWith('Practitioner') || f.startsWith('Organization'))
      .reduce((a, f) => a + readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0);
    assert.equal(before.r, nonPatient + shared, 'one vault row per distinct record');
    assert.equal(before.p, 119, 'the opted-out person never reaches the research store');
    assert.equal(before.opted, 0);
    const [stored] = await rt.db.query<{ content_enc: Buffer }>(
      `SELECT content_enc FROM vault.record WHERE trust_id = $1 AND resource_type = 'Observation' AND source_id = $2`,
      [trust, dup.id],
    );
    const decrypt = await new TrustKeyRing(rt.db, rt.keys).decrypter(trust);
    const payload = JSON.parse(decrypt(stored!.content_enc).toString('utf8')) as { nhsNumber: string; resource: { status: string } };
    assert.equal(payload.resource.status, 'amended');
    assert.match(payload.nhsNumber, /^\d{10}$/);

    // change one Condition's code and run again: that record is rewritten and its events replaced
    const condFile = join(dir, 'Condition.ndjson');
    const condLines = readFileSync(condFile, 'utf8').split('\n').filter(Boolean);
    const cond = JSON.parse(condLines[3]!) as { id: string; code: { coding: { system: string; code: string }[] } };
    cond.code = { coding: [{ system: 'http://snomed.info/sct', code: '73211009' }] };
    condLines[3] = JSON.stringify(cond);
    writeFileSync(condFile, `${condLines.join('\n')}\n`);
    const second = await runner.run(await runner.createBatch(trust, 'fhir', dir, null), dir);
    assert.equal(second.status, 'completed');
    // the changed Condition, and both copies of the repeated Observation (each differs from the
    // other, and they are written in extract order, so the later one is what stays)
    assert.equal(second.records_accepted, 3);
    const after = await count();
    assert.deepEqual(after, before);
    const codes = await rt.db.query<{ code: string }>(
      `SELECT e.code FROM research.event e JOIN vault.record r ON r.id = e.record_id WHERE r.trust_id = $1 AND r.source_id = $2`,
      [trust, cond.id],
    );
    assert.deepEqual(
      codes.map((c) => c.code),
      ['73211009'],
    );
  });

  test('ingests a CSV extract', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csv-'));
    await writeCsvExtract(dir, 9, 10);
    const done = await runner.run(await runner.createBatch(trustId, 'csv', dir, null), dir);
    assert.equal(done.status, 'completed');
    assert.ok(done.records_accepted >= 10, `accepted ${done.records_accepted}`);
  });
});
