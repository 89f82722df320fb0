import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EhrIngestionService, IngestionUploadService } from '@harbour/ingestion';
import { writeFhirNdjsonExtract } from '@harbour/synthetic';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, http, type World } from '../support/identity.js';

/**
 * Issue 9: a trust system uploads an extract over HTTP (role trust-uploader), the batch is queued
 * and processed by a worker, and its status resource reports counts and rejections (file, line,
 * reason; never content). Files are stored encrypted while they wait.
 */
describe('EHR extract upload over HTTP, processed as a queued batch', () => {
  let api: TestApi;
  let w: World;
  let dir: string;

  before(async () => {
    api = await startTestApi({ queue: true });
    w = await createWorld(api);
    dir = mkdtempSync(join(tmpdir(), 'upload-'));
    await writeFhirNdjsonExtract(dir, 'upload', 8);
  });
  after(async () => {
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('open, put files, submit, process, read status and rejections', async () => {
    const open = await http<{ id: string; status: string }>(api, 'POST', `/trusts/${w.trustA}/ingestion/batches`, {
      token: w.tokens.uploaderA,
      body: { kind: 'fhir' },
    });
    assert.equal(open.status, 201, JSON.stringify(open.body));
    assert.equal(open.body.status, 'receiving');
    const id = open.body.id;
    const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
    let nhs = '';
    for (const f of files) {
      let body = readFileSync(join(dir, f));
      if (f.startsWith('Patient')) {
        nhs = (JSON.parse(body.toString().split('\n')[0]!) as { identifier: { system: string; value: string }[] }).identifier.find((i) =>
          i.system.includes('nhs-number'),
        )!.value;
        body = Buffer.concat([body, Buffer.from('{"resourceType": "Patient", "id": "broken"\n')]);
      }
      const res = await fetch(`${api.baseUrl}/ingestion/batches/${id}/files/${f}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${w.tokens.uploaderA}`, 'content-type': 'application/x-ndjson' },
        body,
      });
      assert.equal(res.status, 200, await res.text());
    }
    // Waiting files are encrypted under the trust's key: no identifier in the object store.
    const stored = readdirSync(join(api.rt.dataDir, 'storage', 'vault', w.trustA, 'ingestion', id));
    assert.ok(stored.length === files.length);
    for (const f of stored)
      assert.equal(readFileSync(join(api.rt.dataDir, 'storage', 'vault', w.trustA, 'ingestion', id, f)).includes(nhs), false);
    // Another trust's uploader cannot touch the batch.
    const bad = await fetch(`${api.baseUrl}/ingestion/batches/${id}/files/x.ndjson`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${w.tokens.guardianB}` },
      body: '{}',
    });
    assert.equal(bad.status, 403);
    const submitted = await http<{ status: string }>(api, 'POST', `/ingestion/batches/${id}/submit`, { token: w.tokens.uploaderA });
    assert.equal(submitted.status, 202);
    assert.equal(submitted.body.status, 'queued');
    // What the worker's queue handler does with the job.
    await api.app.get(IngestionUploadService).process({ batchId: id, trustId: w.trustA }, api.app.get(EhrIngestionService));
    const status = await http<{ status: string; records_accepted: number; records_rejected: number }>(
      api,
      'GET',
      `/ingestion/batches/${id}`,
      {
        token: w.tokens.uploaderA,
      },
    );
    assert.equal(status.body.status, 'completed');
    assert.ok(status.body.records_accepted > 8);
    assert.equal(status.body.records_rejected, 1);
    const rejections = await http<{ file: string; line: number; code: string; message: string }[]>(
      api,
      'GET',
      `/ingestion/batches/${id}/rejections`,
      {
        token: w.tokens.guardianA,
      },
    );
    assert.deepEqual(
      rejections.body.map((r) => [r.file, r.line, r.code]),
      [[files.find((f) => f.startsWith('Patient')), 9, 'invalid_json']],
    );
    assert.equal((await http(api, 'GET', `/ingestion/batches/${id}`, { token: w.tokens.guardianB })).status, 404);
  });
});
