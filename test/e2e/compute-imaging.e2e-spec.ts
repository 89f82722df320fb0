import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessService } from '@harbour/access';
import { AccessTokenService, type Principal } from '@harbour/auth';
import { SYSTEM_ACTOR } from '@harbour/audit';
import { ComputeJobRunner } from '@harbour/compute';
import { createImagingServices } from '@harbour/imaging';
import { IngestionRunner } from '@harbour/ingestion';
import { dicom, writeFhirNdjsonExtract } from '@harbour/synthetic';
import dcmjs from 'dcmjs';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, http, type World } from '../support/identity.js';

/**
 * Issue 5: a job reads the project's approved imaging: de-identified study metadata (project
 * UIDs, pseudonyms) and the pixel data of an instance, byte for byte the original's.
 */
describe('compute jobs read de-identified imaging', () => {
  let api: TestApi;
  let w: World;
  let dir: string;
  let pixels: Buffer;
  let studyUid: string;
  const nhs: string[] = [];

  before(async () => {
    api = await startTestApi();
    w = await createWorld(api);
    dir = mkdtempSync(join(tmpdir(), 'compute-imaging-'));
    await writeFhirNdjsonExtract(join(dir, 'fhir'), 'ci', 12, { onPatient: (p) => nhs.push(p.person.nhsNumber) });
    const ingest = new IngestionRunner(api.rt);
    await ingest.run(await ingest.createBatch(w.trustA, 'fhir', 'test', null), join(dir, 'fhir'));
    const study = dicom.generateDicomStudy(91, { kind: 'ct', instances: 2, rows: 16, columns: 16, patient: { nhsNumber: nhs[1]! } });
    studyUid = study.studyInstanceUid;
    const inst = study.instances[0]!.buffer;
    const parsed = dcmjs.data.DicomMessage.readFile(inst.buffer.slice(inst.byteOffset, inst.byteOffset + inst.length) as ArrayBuffer);
    pixels = Buffer.from((parsed.dict['7FE00010'] as { Value: ArrayBuffer[] }).Value[0]!);
    const session = await createImagingServices(api.rt).ingest.open(w.trustA, SYSTEM_ACTOR, 'cli', 'test', null);
    for (const [i, x] of study.instances.entries()) {
      const f = join(dir, `i${i}.dcm`);
      writeFileSync(f, x.buffer);
      const o = await session.ingestFile(f);
      assert.notEqual(o.kind, 'failed', JSON.stringify(o));
    }
    await session.finish();
  });
  after(async () => {
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('dicom.studies() lists the study under project UIDs and dicom.pixels() returns the original pixels', async () => {
    const verify = async (token: string): Promise<Principal> => {
      const r = await api.app.get(AccessTokenService).verify(token);
      assert.ok(r.ok);
      return r.principal;
    };
    const access = api.app.get(AccessService);
    const partner = await verify(w.tokens.partnerA);
    const r = await access.create(partner, {
      title: 'Imaging features',
      purpose: 'Measure image features next to the data',
      lay_summary: 'We compute summary figures from CT images',
      legal_basis_art6: '6(1)(e)',
      legal_basis_art9: '9(2)(j)',
      commercial_use: false,
      duo_codes: ['DUO:0000007'],
      requested_data: { ehrResourceTypes: ['Patient'], imagingModalities: ['CT'] },
      deidentification: { ehrProfile: 'harbour-ehr-deid-1.0.0', dicomOptions: ['retainLongitudinalModifiedDates'] },
      requested_duration_days: 30,
      members: [],
      trustIds: [w.trustA],
    });
    const projectId = r.request.id;
    await access.submit(partner, projectId);
    await access.decide(await verify(w.tokens.guardianA), projectId, {
      decision: 'approve',
      reason: 'ok',
      endDate: new Date(Date.now() + 7 * 86_400_000),
    });

    const code = `export async function main(h) {
  const studies = [];
  for await (const s of h.dicom.studies()) studies.push(s);
  const first = studies[0].series[0].instances[0].sopInstanceUid;
  const px = await h.dicom.pixels(first);
  h.output.json('imaging', { studies: studies.length, uids: studies.map((s) => s.studyInstanceUid), pseudonyms: studies.map((s) => s.patientPseudonym), bytes: px ? px.length : -1, head: px ? Array.from(px.slice(0, 8)) : [] });
}`;
    const job = await http<{ id: string }>(api, 'POST', `/projects/${projectId}/jobs`, {
      token: w.tokens.partnerA,
      body: { code, language: 'js', outputs: ['imaging'] },
    });
    assert.equal(job.status, 201, JSON.stringify(job.body));
    assert.equal(await api.app.get(ComputeJobRunner).process(job.body.id), 'finished');
    const view = await http<{ status: string; outputs: { id: string; name: string }[]; failure?: string; reason?: string }>(
      api,
      'GET',
      `/projects/${projectId}/jobs/${job.body.id}`,
      { token: w.tokens.guardianA },
    );
    assert.equal(view.body.status, 'succeeded', JSON.stringify(view.body));
    const out = view.body.outputs.find((o) => o.name === 'imaging')!;
    const content = await fetch(`${api.baseUrl}/airlock/outputs/${out.id}/content`, {
      headers: { authorization: `Bearer ${w.tokens.guardianA}` },
    });
    assert.equal(content.status, 200);
    const body = JSON.parse(await content.text()) as {
      studies: number;
      uids: string[];
      pseudonyms: string[];
      bytes: number;
      head: number[];
    };
    assert.equal(body.studies, 1);
    assert.notEqual(body.uids[0], studyUid);
    assert.match(body.uids[0]!, /^2\.25\./);
    assert.match(body.pseudonyms[0]!, /^HBR-/);
    assert.equal(body.bytes, pixels.length);
    assert.deepEqual(body.head, Array.from(pixels.subarray(0, 8)));
  });
});
