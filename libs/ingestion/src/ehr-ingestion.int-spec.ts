import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRuntime, type TestRuntime } from '@harbour/testing';
import { writeFhirNdjsonExtract, writeCsvExtract } from '@harbour/synthetic';
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

  test('ingests a CSV extract', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csv-'));
    await writeCsvExtract(dir, 9, 10);
    const done = await runner.run(await runner.createBatch(trustId, 'csv', dir, null), dir);
    assert.equal(done.status, 'completed');
    assert.ok(done.records_accepted >= 10, `accepted ${done.records_accepted}`);
  });
});
