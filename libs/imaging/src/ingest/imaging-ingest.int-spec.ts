import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRuntime, type TestRuntime } from '@harbour/testing';
import { SYSTEM_ACTOR } from '@harbour/audit';
import { IngestionRunner } from '@harbour/ingestion';
import { dicom, generatePatients, writeFhirNdjsonExtract } from '@harbour/synthetic';
import { TrustKeyRing } from '@harbour/vault';
import { createImagingServices } from '../imaging.factory.js';
import { ImagingStore } from '../storage/imaging-store.js';

describe('imaging ingest against the vault (real PostgreSQL and object store)', () => {
  let rt: TestRuntime;
  let trustId: string;
  let dir: string;
  before(async () => {
    rt = await createTestRuntime();
    const [t] = await rt.db.query<{ id: string }>(
      `INSERT INTO identity.trust (ods_code, name) VALUES ('XI1', 'Imaging Test Trust') RETURNING id`,
    );
    trustId = t!.id;
    dir = await mkdtemp(join(tmpdir(), 'imaging-int-'));
    const extract = join(dir, 'extract');
    await writeFhirNdjsonExtract(extract, 11, 5);
    const runner = new IngestionRunner(rt);
    const batch = await runner.createBatch(trustId, 'fhir', extract, null);
    assert.equal((await runner.run(batch, extract)).status, 'completed');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rt?.dispose();
  });

  test('a file carrying only the local MRN is matched to its vault patient; an unknown MRN is held', async () => {
    const person = generatePatients(11, 1).next().value!.person;
    const known = join(dir, 'known.dcm');
    const unknown = join(dir, 'unknown.dcm');
    await writeFile(known, dicom.generateDicomInstance({ seed: 301, patient: { nhsIn: 'none', mrn: person.mrn } }));
    await writeFile(unknown, dicom.generateDicomInstance({ seed: 302, patient: { nhsIn: 'none', mrn: 'RX0000001' } }));
    const { ingest } = createImagingServices(rt);
    const session = await ingest.open(trustId, SYSTEM_ACTOR, 'cli', 'test', null);
    const a = await session.ingestFile(known);
    const b = await session.ingestFile(unknown);
    const summary = await session.finish();
    assert.equal(a.kind === 'stored' && a.status, 'available');
    assert.deepEqual(b.kind === 'stored' && [b.status, b.reason], ['held', 'patient_unidentified']);
    assert.deepEqual([summary.stored, summary.held, summary.failed], [2, 1, 0]);
    const [row] = await rt.db.query<{ person_id: string; vault_person: string }>(
      `SELECT i.person_id, (SELECT p.person_id FROM vault.patient p WHERE p.trust_id = i.trust_id AND p.source_id = $2) AS vault_person
         FROM imaging.instance i WHERE i.trust_id = $1 AND i.sop_instance_uid = $3`,
      [trustId, String(generatePatients(11, 1).next().value!.resources[0]!.id), dicom.syntheticUid(301, 3, 1)],
    );
    assert.ok(row?.person_id);
    assert.equal(row.person_id, row.vault_person, 'the same consent person as the EHR record');
    const batch = await rt.db.query<{ status: string; records_seen: number }>(
      `SELECT status, records_seen FROM ingestion.batch WHERE id = $1`,
      [summary.batchId],
    );
    assert.deepEqual(batch[0], { status: 'completed', records_seen: 2 });
  });

  test('revoking the trust key makes its sealed originals unreadable (crypto-shredding)', async () => {
    const [row] = await rt.db.query<{ object_key: string }>(`SELECT object_key FROM imaging.instance WHERE trust_id = $1 LIMIT 1`, [
      trustId,
    ]);
    const keyRing = new TrustKeyRing(rt.db, rt.keys);
    const store = new ImagingStore(rt.store, keyRing);
    assert.ok((await store.readOriginal(trustId, row!.object_key)).subarray(128, 132).equals(Buffer.from('DICM')));
    await keyRing.revoke(trustId);
    await assert.rejects(store.readOriginal(trustId, row!.object_key), /revoked/);
  });
});
