/**
 * Metering of compute and imaging, and the opt-out check of released compute outputs, over real
 * HTTP on synthetic data ingested through the real pipeline (one trust, one patient opted out
 * through the guardian's upload, a project with a commercial agreement):
 * - a finished job is billed `compute.minutes` once, against its `compute.job_finished` entry,
 *   with the persons the run was served (recorded in `compute.job_member`); re-delivery bills nothing new;
 * - a released output is billed `output.released` once, against its `airlock.output_released` entry;
 * - a WADO-RS retrieval is billed `imaging.study_retrieved` against its audit entry;
 * - the compliance pack checks the released output against the opt-out lists in force at run
 *   start (ok), and reports a violation once a served person is on such a list.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessService } from '@harbour/access';
import { SYSTEM_ACTOR } from '@harbour/audit';
import { AccessTokenService, type Principal } from '@harbour/auth';
import { ComputeJobRunner, ComputeMetering, type AirlockOutputView, type JobView } from '@harbour/compute';
import { createCompliance } from '@harbour/compliance';
import { IngestionRunner } from '@harbour/ingestion';
import { createLedger } from '@harbour/ledger';
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import { dicom, writeFhirNdjsonExtract } from '@harbour/synthetic';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, http, type World } from '../support/identity.js';

const COUNT_JOB = `
export async function main(h) {
  let n = 0;
  await h.cohort().forEach(() => { n++; });
  let observations = 0;
  for await (const page of h.resources('Observation').pages()) observations += page.length;
  h.output.table('total', ['group', 'patients'], [['all', Math.round(n / 5) * 5]]);
}
`;

interface EventRow {
  id: string;
  kind: string;
  quantity: string;
  audit_entry_id: string;
  amount_pence: string;
  trust_share_pence: string;
}

describe('metering of compute and imaging; opt-out check of released compute outputs', () => {
  let api: TestApi;
  let w: World;
  let dataDir: string;
  let projectId: string;
  let runner: ComputeJobRunner;
  let principal: (token: string) => Promise<Principal>;
  const nhs: string[] = [];
  let jobId = '';
  let outputId = '';
  const started = new Date(Date.now() - 60_000);
  const PATIENTS = 12;
  const study = dicom.generateDicomStudy(4711, { instances: 2 }); // CT

  const events = (key: string) =>
    api.rt.db.query<EventRow>(
      `SELECT id, kind, quantity::text, audit_entry_id::text, amount_pence::text, trust_share_pence::text FROM ledger.billable_event WHERE idempotency_key = $1`,
      [key],
    );
  const contributions = (eventId: string) =>
    api.rt.db.query<{ trust_id: string; patients: number }>(
      `SELECT trust_id, patients::int AS patients FROM ledger.event_contribution WHERE billable_event_id = $1 ORDER BY trust_id`,
      [eventId],
    );
  /** Append ids of the sealed entries recording `action` on `targetId`. */
  const entryIdsOf = async (action: string, targetId: string): Promise<string[]> => {
    await api.sealAudit();
    const rows = await api.rt.db.query<{ id: string }>(
      `SELECT id::text AS id FROM audit.entry WHERE action = $1 AND target_id = $2 ORDER BY seq`,
      [action, targetId],
    );
    return rows.map((r) => r.id);
  };

  before(async () => {
    api = await startTestApi({ queue: true });
    w = await createWorld(api);
    runner = api.app.get(ComputeJobRunner);
    const tokens = api.app.get(AccessTokenService);
    principal = async (token) => {
      const r = await tokens.verify(token);
      assert.ok(r.ok);
      return r.principal;
    };
    dataDir = mkdtempSync(join(tmpdir(), 'harbour-metering-'));
    await writeFhirNdjsonExtract(dataDir, 'metering-a', PATIENTS, { onPatient: (p) => nhs.push(p.person.nhsNumber) });
    const ingest = new IngestionRunner(api.rt);
    const done = await ingest.run(await ingest.createBatch(w.trustA, 'fhir', 'test', null), dataDir);
    assert.equal(done.status, 'completed');
    // One patient opts out through the guardian's upload: a list version with its history.
    const up = await fetch(`${api.baseUrl}/trusts/${w.trustA}/opt-outs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.tokens.guardianA}`, 'content-type': 'text/csv' },
      body: `nhs_number\n${nhs[0]!}\n`,
    });
    assert.equal(up.status, 201, await up.text());

    const access = api.app.get(AccessService);
    const partner = await principal(w.tokens.partnerA);
    const r = await access.create(partner, {
      title: 'Metered',
      purpose: 'Counts and images for a commercial study',
      lay_summary: 'We count patients and look at their scans.',
      legal_basis_art6: 'public_task',
      legal_basis_art9: 'research',
      commercial_use: true,
      duo_codes: ['DUO:0000007'],
      requested_data: { ehrResourceTypes: ['Patient', 'Observation'], imagingModalities: ['CT'] },
      deidentification: { ehrProfile: 'harbour-ehr-deid-1.0.0', dicomOptions: [] },
      requested_duration_days: 90,
      members: [],
      trustIds: [w.trustA],
    });
    projectId = r.request.id;
    await access.submit(partner, projectId);
    await access.decide(await principal(w.tokens.guardianA), projectId, {
      decision: 'approve',
      reason: 'approved',
      endDate: new Date(Date.now() + 30 * 86_400_000),
    });
    await createLedger(api.rt.db).agreements.setAgreement({
      projectId,
      partnerId: w.partnerA,
      fees: {
        fixedPerPeriodPence: 0,
        perQueryPence: 100,
        perComputeMinutePence: 25,
        perOutputReleasedPence: 10_000,
        perImagingStudyPence: 75,
      },
      trustShareBps: 1000,
      trusts: [{ trustId: w.trustA }],
      effectiveFrom: started,
    });
  });
  after(async () => {
    await api?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('a finished job is billed compute minutes once, with the persons its run was served', async () => {
    const res = await http<JobView>(api, 'POST', `/projects/${projectId}/jobs`, {
      token: w.tokens.partnerA,
      body: { code: COUNT_JOB, language: 'js', outputs: ['total'] },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    jobId = res.body.id;
    assert.equal(await runner.process(jobId), 'finished');
    const job = (await http<JobView>(api, 'GET', `/projects/${projectId}/jobs/${jobId}`, { token: w.tokens.partnerA })).body;
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    outputId = job.outputs[0]!.id;

    // Who the run was served: every eligible patient of the trust, never the opted-out one.
    const [member] = await api.rt.db.query<{ trust_id: string; n: number; opted: number }>(
      `SELECT m.trust_id, cardinality(m.person_ids)::int AS n,
              (SELECT count(*)::int FROM consent.person cp JOIN consent.opt_out o ON o.nhs_bidx = cp.nhs_bidx WHERE cp.id = ANY(m.person_ids)) AS opted
         FROM compute.job_member m WHERE m.job_id = $1`,
      [jobId],
    );
    assert.deepEqual(member, { trust_id: w.trustA, n: PATIENTS - 1, opted: 0 });

    const key = `compute.minutes:${jobId}:1`;
    const [e, ...more] = await events(key);
    assert.ok(e, 'billed');
    assert.equal(more.length, 0);
    assert.equal(e.kind, 'compute.minutes');
    assert.equal(e.quantity, '1', 'a short run is one whole minute');
    assert.equal(e.amount_pence, '25');
    assert.deepEqual([e.audit_entry_id], await entryIdsOf('compute.job_finished', jobId), "against the run's compute.job_finished entry");
    assert.deepEqual(await contributions(e.id), [{ trust_id: w.trustA, patients: PATIENTS - 1 }]);

    // Re-delivery: the queue hands the job over again (nothing to run), or the event is sent twice.
    assert.equal(await runner.process(jobId), 'skipped');
    const again = await api.app.get(ComputeMetering).meter({
      idempotencyKey: key,
      projectId,
      kind: 'compute.minutes',
      quantity: 1,
      occurredAt: new Date(),
      auditEntryId: Number(e.audit_entry_id),
      contributions: [{ trustId: w.trustA, patients: PATIENTS - 1 }],
    });
    assert.equal(again?.outcome, 'duplicate');
    assert.equal((await events(key)).length, 1);
  });

  test('a released output is billed once, against its release entry', async () => {
    const ok = await http<AirlockOutputView>(api, 'POST', `/airlock/outputs/${outputId}/reviews`, {
      token: w.tokens.guardianA,
      body: { decision: 'approve', reason: 'aggregate only' },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.status, 'released');
    const again = await http(api, 'POST', `/airlock/outputs/${outputId}/reviews`, {
      token: w.tokens.guardianA,
      body: { decision: 'approve', reason: 'again' },
    });
    assert.equal(again.status, 409);
    const key = `output.released:${outputId}`;
    const rows = await events(key);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.kind, 'output.released');
    assert.equal(rows[0]!.amount_pence, '10000');
    assert.equal(rows[0]!.trust_share_pence, '1000');
    assert.deepEqual([rows[0]!.audit_entry_id], await entryIdsOf('airlock.output_released', outputId));
    assert.deepEqual(await contributions(rows[0]!.id), [{ trust_id: w.trustA, patients: PATIENTS - 1 }]);
  });

  test('a WADO-RS retrieval is billed per contributing trust, against its audit entry', async () => {
    const m = Buffer.concat([
      ...study.instances.flatMap((i) => [
        Buffer.from('--b7f3\r\nContent-Type: application/dicom\r\n\r\n', 'latin1'),
        i.buffer,
        Buffer.from('\r\n'),
      ]),
      Buffer.from('--b7f3--\r\n'),
    ]);
    const stow = await fetch(`${api.baseUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${w.tokens.uploaderA}`,
        'content-type': 'multipart/related; type="application/dicom"; boundary=b7f3',
        accept: 'application/dicom+json',
      },
      body: m,
    });
    assert.equal(stow.status, 200, await stow.text());
    const deidStudy = deriveProjectKeys(api.rt.keys.masterKey(), projectId).uid(study.studyInstanceUid);
    const wado = await fetch(`${api.baseUrl}/projects/${projectId}/dicomweb/studies/${deidStudy}`, {
      headers: { authorization: `Bearer ${w.tokens.partnerA}` },
    });
    assert.equal(wado.status, 200);
    await wado.arrayBuffer();
    const seqs = await entryIdsOf('imaging.study_retrieved', deidStudy);
    assert.equal(seqs.length, 1);
    const rows = await events(`imaging.study_retrieved:${seqs[0]!}`);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.kind, 'imaging.study_retrieved');
    assert.equal(rows[0]!.quantity, '1');
    assert.equal(rows[0]!.amount_pence, '75');
    assert.deepEqual(await contributions(rows[0]!.id), [{ trust_id: w.trustA, patients: 1 }]);
  });

  test('the compliance opt-out check covers released compute outputs', async () => {
    const id = w.svc;
    const { reports } = createCompliance({ db: api.rt.db, audit: id.audit, auditTrail: id.auditTrail, signer: id.signingKeys });
    const range = { from: started, to: new Date(Date.now() + 60_000) };
    const built = await reports.buildPack(range, SYSTEM_ACTOR);
    const row = built.report.optOutCompliance.releases.find((r) => r.releaseId === outputId);
    assert.ok(row, 'the released output is checked');
    assert.equal(row.kind, 'compute_output');
    assert.equal(row.status, 'ok', JSON.stringify(row));
    assert.equal(row.personsCounted, PATIENTS - 1);
    assert.equal(row.optedOutAtTime, 0);
    assert.ok(
      row.listVersionsAtTime.some((k) => k.startsWith(`${w.trustA}:`)),
      'the list in force at run start is named',
    );
    assert.ok(
      row.listVersionsRecorded?.some((k) => k.startsWith(`${w.trustA}:`)),
      "and the run's recorded versions",
    );
    const [released] = await api.rt.db.query<{ seq: string }>(
      `SELECT seq::text AS seq FROM audit.entry WHERE action = 'airlock.output_released' AND target_id = $1`,
      [outputId],
    );
    assert.deepEqual(row.auditSeq, Number(released!.seq), 'the report cites the sealed entry by its chain position');
    assert.equal(built.report.optOutCompliance.ok, true);

    // What a broken data source would leave: the run served a person on a list in force at its start.
    const [opted] = await api.rt.db.query<{ id: string }>(
      `SELECT cp.id FROM consent.person cp JOIN consent.opt_out o ON o.nhs_bidx = cp.nhs_bidx WHERE o.trust_id = $1 LIMIT 1`,
      [w.trustA],
    );
    assert.ok(opted);
    await api.rt.db.query(`INSERT INTO compute.job_member (job_id, trust_id, person_ids) VALUES ($1, $2, ARRAY[$3::uuid])`, [
      jobId,
      w.trustB,
      opted.id,
    ]);
    const rebuilt = await reports.buildPack(range, SYSTEM_ACTOR);
    const bad = rebuilt.report.optOutCompliance.releases.find((r) => r.releaseId === outputId)!;
    assert.equal(bad.status, 'violation');
    assert.equal(bad.optedOutAtTime, 1);
    assert.equal(rebuilt.report.optOutCompliance.ok, false);
    assert.equal(rebuilt.report.summary.optOutViolations, 1);
  });
});
