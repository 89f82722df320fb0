/**
 * Compute jobs and the airlock over real HTTP, on synthetic EHR data ingested through the real
 * pipeline (trust A approves, trust B rejects; one of trust A's patients opted out):
 * - scope: a job sees trust A's consenting patients only, approved resource types only;
 * - the airlock blocks a row-level output and passes an aggregate; a guardian rejects one and
 *   approves the other; the partner downloads only the released one; a second reviewer when the
 *   trust's policy asks for one; every step audited;
 * - crash recovery: a stale lease is re-queued by the sweeper (and fails `worker_lost` once
 *   attempts are used up); cancellation by the partner; revocation cancels queued and running
 *   jobs and withdraws unreleased outputs.
 * The tests before the last run jobs with `ComputeJobRunner.process` directly; the last one
 * starts the worker's queue handler in-process and lets the queue run the job.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessService } from '@harbour/access';
import { AccessTokenService, type Principal } from '@harbour/auth';
import {
  AirlockService,
  ComputeJobRunner,
  ComputeRepository,
  registerComputeJobs,
  type AirlockOutputView,
  type JobView,
} from '@harbour/compute';
import { IngestionRunner } from '@harbour/ingestion';
import { nhsBlindIndex, nhsBlindIndexKey } from '@harbour/vault';
import { writeFhirNdjsonExtract } from '@harbour/synthetic';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, http, SYSTEM, TEST_PASSWORD, tokenFor, type World } from '../support/identity.js';

const AGGREGATE_JOB = `
export async function main(h) {
  let n = 0;
  const trustCodes = new Set();
  const rows = [];
  for await (const page of h.cohort().pages()) {
    for (const p of page) {
      n++;
      trustCodes.add(p.trustCode);
      rows.push([p.pseudonym, p.sex, p.birthYear]);
    }
  }
  const forbidden = new Set(h.params.forbidden);
  const seen = rows.filter((r) => forbidden.has(r[0])).length;
  let observations = 0;
  for await (const page of h.resources('Observation').pages()) observations += page.length;
  let conditions = 0;
  for await (const page of h.resources('Condition').pages()) conditions += page.length;
  h.output.table('total', ['group', 'patients'], [['all', Math.round(n / 5) * 5]]);
  h.output.table('patient_rows', ['pseudonym', 'sex', 'birth_year'], rows);
  h.output.json('scope', { cohortRows: n, trustCodes: [...trustCodes], observations, conditions, forbiddenSeen: seen });
}
`;

const TOTAL_ONLY_JOB = `
export async function main(h) {
  let n = 0;
  await h.cohort().forEach(() => { n++; });
  h.output.table('total', ['group', 'patients'], [['all', Math.round(n / 5) * 5]]);
}
`;

const SPIN_JOB = `
export async function main(h) {
  let n = 0;
  await h.cohort().forEach(() => { n++; });
  const t = Date.now();
  while (Date.now() - t < 20000) { n++; }
  h.output.table('total', ['group', 'patients'], [['all', 10]]);
}
`;

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('compute: jobs, provenance, airlock, crash recovery, revocation', () => {
  let api: TestApi;
  let w: World;
  let access: AccessService;
  let runner: ComputeJobRunner;
  let principal: (token: string) => Promise<Principal>;
  let dataDir: string;
  const nhsA: string[] = [];
  const nhsB: string[] = [];
  let optedOut: string;
  let odsA: string;

  const newProject = async (title: string): Promise<string> => {
    const partner = await principal(w.tokens.partnerA);
    const r = await access.create(partner, {
      title,
      purpose: 'Prevalence of long-term conditions by age band',
      lay_summary: 'We count patients with long-term conditions to plan services.',
      legal_basis_art6: 'public_task',
      legal_basis_art9: 'research',
      commercial_use: false,
      duo_codes: ['DUO:0000007'],
      requested_data: { ehrResourceTypes: ['Patient', 'Observation', 'Condition'], imagingModalities: [] },
      deidentification: { ehrProfile: 'harbour-ehr-deid-1.0.0', dicomOptions: [] },
      requested_duration_days: 90,
      members: [],
      trustIds: [w.trustA, w.trustB],
    });
    const id = r.request.id;
    await access.submit(partner, id);
    const endDate = new Date(Date.now() + 30 * 86_400_000);
    // Trust A approves without Condition: a job must not see that class.
    await access.decide(await principal(w.tokens.guardianA), id, {
      decision: 'approve',
      reason: 'approved for counts',
      endDate,
      conditions: { resourceTypes: ['Patient', 'Observation'] },
    });
    await access.decide(await principal(w.tokens.guardianB), id, { decision: 'reject', reason: 'not for our patients' });
    return id;
  };

  const submit = async (projectId: string, code: string, outputs: string[], params: unknown = { forbidden: [] }) =>
    http<JobView>(api, 'POST', `/projects/${projectId}/jobs`, {
      token: w.tokens.partnerA,
      body: { code, language: 'js', params, outputs },
    });

  const job = async (projectId: string, jobId: string, token = w.tokens.partnerA) =>
    http<JobView>(api, 'GET', `/projects/${projectId}/jobs/${jobId}`, { token });

  const auditCount = async (action: string, targetId: string): Promise<number> => {
    await api.sealAudit();
    const [r] = await api.rt.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit.entry WHERE action = $1 AND (target_id = $2 OR payload->>'jobId' = $2)`,
      [action, targetId],
    );
    return r?.n ?? 0;
  };

  before(async () => {
    api = await startTestApi({ queue: true });
    w = await createWorld(api);
    access = api.app.get(AccessService);
    runner = api.app.get(ComputeJobRunner);
    const tokens = api.app.get(AccessTokenService);
    principal = async (token) => {
      const r = await tokens.verify(token);
      assert.ok(r.ok);
      return r.principal;
    };
    odsA = (await api.rt.db.query<{ ods_code: string }>(`SELECT ods_code FROM identity.trust WHERE id = $1`, [w.trustA]))[0]!.ods_code;
    // Synthetic extracts ingested through the real pipeline (vault, research store, consent persons).
    dataDir = mkdtempSync(join(tmpdir(), 'harbour-compute-'));
    const ingest = new IngestionRunner(api.rt);
    for (const [trustId, seed, count, list] of [
      [w.trustA, 'compute-a', 31, nhsA],
      [w.trustB, 'compute-b', 12, nhsB],
    ] as const) {
      const dir = join(dataDir, seed);
      await writeFhirNdjsonExtract(dir, seed, count, { onPatient: (p) => list.push(p.person.nhsNumber) });
      const batch = await ingest.createBatch(trustId, 'fhir', 'test', null);
      const done = await ingest.run(batch, dir);
      assert.equal(done.status, 'completed');
    }
    // One of trust A's patients opts out (National Data Opt-out).
    optedOut = nhsA[0]!;
    const bidx = nhsBlindIndex(nhsBlindIndexKey(api.rt.keys.masterKey()), optedOut);
    await api.rt.db.query(`INSERT INTO consent.opt_out (nhs_bidx, kind, trust_id, list_version) VALUES ($1, 'ndop', $2, 1)`, [
      bidx,
      w.trustA,
    ]);
  });
  after(async () => {
    await api?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('a job sees only its project: approving trust, consenting patients, approved classes; outputs go to the airlock with findings', async (t) => {
    const projectId = await newProject('Counts');
    const { deriveProjectKeys } = await import('@harbour/pseudonymisation');
    const keys = deriveProjectKeys(api.rt.keys.masterKey(), projectId);
    const forbidden = [
      keys.pseudonym(optedOut),
      ...nhsB.map((n) => keys.pseudonym(n)).filter((p) => !nhsA.some((a) => keys.pseudonym(a) === p)),
    ];
    const res = await submit(projectId, AGGREGATE_JOB, ['total', 'patient_rows', 'scope'], { forbidden });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.status, 'queued');
    assert.equal(res.body.codeSha256, sha256(AGGREGATE_JOB));
    assert.equal(await runner.process(res.body.id), 'finished');

    const j = (await job(projectId, res.body.id)).body;
    assert.equal(j.status, 'succeeded', JSON.stringify(j));
    assert.equal(j.outputs.length, 3);
    assert.ok(j.outputs.every((o) => o.status === 'pending'));
    assert.equal(j.guestError, undefined);
    const prov = j.provenance as {
      codeSha256: string;
      data: {
        trusts: { trustId: string; patients: number; resourceTypes: string[] }[];
        consentListVersions: Record<string, number>;
        trustsRead: string[];
      };
      deidentification: { ehrProfile: string; dicomProfile: string };
      policy: { version: string; sha256: string };
      runtime: string;
      usage: { patientsRead: number };
      startedAt: string;
      finishedAt: string;
    };
    const [expected] = await api.rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM research.patient WHERE trust_id = $1`, [
      w.trustA,
    ]);
    assert.equal(prov.codeSha256, sha256(AGGREGATE_JOB));
    assert.deepEqual(
      prov.data.trusts.map((x) => x.trustId),
      [w.trustA],
      'only the approving trust',
    );
    assert.equal(prov.data.trusts[0]!.patients, expected!.n - 1, 'the opted-out patient is not visible');
    assert.deepEqual(prov.data.trusts[0]!.resourceTypes, ['Patient', 'Observation']);
    assert.equal(prov.data.consentListVersions[`${w.trustA}:ndop`] ?? 1, 1);
    assert.deepEqual(prov.data.trustsRead, [w.trustA]);
    assert.equal(prov.deidentification.ehrProfile, 'harbour-ehr-deid-1.0.0');
    assert.ok(prov.deidentification.dicomProfile);
    assert.match(prov.policy.sha256, /^[0-9a-f]{64}$/);
    assert.match(prov.runtime, /quickjs/i);
    assert.equal(prov.usage.patientsRead, expected!.n - 1);
    assert.ok(Date.parse(prov.finishedAt) >= Date.parse(prov.startedAt));

    // The partner cannot take anything out yet; another partner and the other trust see nothing.
    const total = j.outputs.find((o) => o.name === 'total')!;
    const rowLevel = j.outputs.find((o) => o.name === 'patient_rows')!;
    const scope = j.outputs.find((o) => o.name === 'scope')!;
    assert.equal((await http(api, 'GET', `/projects/${projectId}/outputs/${total.id}/download`, { token: w.tokens.partnerA })).status, 404);
    assert.equal((await http(api, 'GET', `/airlock/outputs/${total.id}/content`, { token: w.tokens.partnerA })).status, 404);
    assert.equal((await job(projectId, j.id, w.tokens.partnerB)).status, 404);
    assert.equal((await job(projectId, j.id, w.tokens.guardianB)).status, 404, "trust B's guardian: the job could not read its data");
    const gj = await job(projectId, j.id, w.tokens.guardianA);
    assert.equal(gj.status, 200);

    // Guardian A's queue has all three; guardian B's none of them.
    const pendingA = await http<{ items: AirlockOutputView[] }>(api, 'GET', '/airlock/outputs?status=pending', {
      token: w.tokens.guardianA,
    });
    assert.deepEqual(pendingA.body.items.map((o) => o.id).sort(), [total.id, rowLevel.id, scope.id].sort());
    const pendingB = await http<{ items: AirlockOutputView[] }>(api, 'GET', '/airlock/outputs?status=pending', {
      token: w.tokens.guardianB,
    });
    assert.equal(pendingB.body.items.length, 0);
    assert.equal((await http(api, 'GET', `/airlock/outputs/${total.id}`, { token: w.tokens.guardianB })).status, 404);

    // Findings: the row-level table is blocked; the aggregate is not.
    const rl = (await http<AirlockOutputView>(api, 'GET', `/airlock/outputs/${rowLevel.id}`, { token: w.tokens.guardianA })).body;
    assert.equal(rl.worstSeverity, 'block');
    const codes = rl.findings.map((f) => f.code);
    assert.ok(codes.includes('identifier_values') && codes.includes('row_level_table'), codes.join());
    const agg = (await http<AirlockOutputView>(api, 'GET', `/airlock/outputs/${total.id}`, { token: w.tokens.guardianA })).body;
    assert.notEqual(agg.worstSeverity, 'block', JSON.stringify(agg.findings));
    assert.equal(agg.projectTitle, 'Counts');

    // What the job saw, as the reviewing guardian previews it.
    const preview = await fetch(`${api.baseUrl}/airlock/outputs/${scope.id}/content`, {
      headers: { authorization: `Bearer ${w.tokens.guardianA}` },
    });
    assert.equal(preview.status, 200);
    const bytes = new Uint8Array(await preview.arrayBuffer());
    assert.equal(preview.headers.get('etag'), `"${sha256(bytes)}"`);
    const seen = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      cohortRows: number;
      trustCodes: string[];
      observations: number;
      conditions: number;
      forbiddenSeen: number;
    };
    assert.equal(seen.cohortRows, expected!.n - 1);
    assert.deepEqual(seen.trustCodes, [odsA]);
    assert.equal(seen.forbiddenSeen, 0, 'no opted-out patient and no trust B patient');
    assert.equal(seen.conditions, 0, 'Condition was not approved by trust A');
    assert.ok(seen.observations > 0);

    await t.test('review: the row-level output cannot be approved, it is rejected; the aggregate is approved and released', async () => {
      const refused = await http<{ code: string }>(api, 'POST', `/airlock/outputs/${rowLevel.id}/reviews`, {
        token: w.tokens.guardianA,
        body: { decision: 'approve', reason: 'looks fine' },
      });
      assert.equal(refused.status, 422);
      assert.equal(refused.body.code, 'disclosure_refused');
      const rej = await http<AirlockOutputView>(api, 'POST', `/airlock/outputs/${rowLevel.id}/reviews`, {
        token: w.tokens.guardianA,
        body: { decision: 'reject', reason: 'one row per patient' },
      });
      assert.equal(rej.status, 201);
      assert.equal(rej.body.status, 'rejected');
      const stale = await http(api, 'POST', `/airlock/outputs/${total.id}/reviews`, {
        token: w.tokens.guardianA,
        body: { decision: 'approve', reason: 'aggregate only', sha256: '0'.repeat(64) },
      });
      assert.equal(stale.status, 409, 'an approval of other bytes is refused');
      const ok = await http<AirlockOutputView>(api, 'POST', `/airlock/outputs/${total.id}/reviews`, {
        token: w.tokens.guardianA,
        body: { decision: 'approve', reason: 'aggregate only', sha256: total.sha256 },
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
      assert.equal(ok.body.status, 'released');
      assert.equal(
        (
          await http(api, 'POST', `/airlock/outputs/${total.id}/reviews`, {
            token: w.tokens.guardianA,
            body: { decision: 'approve', reason: 'again' },
          })
        ).status,
        409,
      );
    });

    await t.test('download: released only, the exact bytes reviewed; the rejected and pending ones are 404', async () => {
      const dl = await fetch(`${api.baseUrl}/projects/${projectId}/outputs/${total.id}/download`, {
        headers: { authorization: `Bearer ${w.tokens.partnerA}` },
      });
      assert.equal(dl.status, 200);
      assert.match(dl.headers.get('content-type') ?? '', /text\/csv/);
      assert.match(dl.headers.get('content-disposition') ?? '', /total\.csv/);
      const body = new Uint8Array(await dl.arrayBuffer());
      assert.equal(sha256(body), total.sha256);
      assert.equal(Buffer.from(body).toString('utf8').trim(), `group,patients\r\nall,${Math.round((expected!.n - 1) / 5) * 5}`);
      // The console's download path answers the partner the same way.
      assert.equal((await http(api, 'GET', `/airlock/outputs/${total.id}/content`, { token: w.tokens.partnerClientA })).status, 200);
      assert.equal(
        (await http(api, 'GET', `/projects/${projectId}/outputs/${rowLevel.id}/download`, { token: w.tokens.partnerA })).status,
        404,
      );
      assert.equal(
        (await http(api, 'GET', `/projects/${projectId}/outputs/${scope.id}/download`, { token: w.tokens.partnerA })).status,
        404,
      );
      assert.equal(
        (await http(api, 'GET', `/projects/${projectId}/outputs/${total.id}/download`, { token: w.tokens.partnerB })).status,
        404,
      );
      const listed = (await http<{ items: JobView[] }>(api, 'GET', `/projects/${projectId}/jobs`, { token: w.tokens.partnerA })).body.items;
      const statuses = Object.fromEntries(listed.find((x) => x.id === j.id)!.outputs.map((o) => [o.name, o.status]));
      assert.deepEqual(statuses, { total: 'released', patient_rows: 'rejected', scope: 'pending' });
      const rejected = listed.find((x) => x.id === j.id)!.outputs.find((o) => o.name === 'patient_rows')!;
      assert.equal(rejected.rejections?.[0]?.reason, 'one row per patient');
    });

    await t.test('audit: submission, run, checks, reviews, release and download', async () => {
      assert.equal(await auditCount('compute.job_submitted', j.id), 1);
      assert.equal(await auditCount('compute.job_started', j.id), 1);
      assert.equal(await auditCount('compute.job_finished', j.id), 1);
      assert.equal(await auditCount('airlock.output_checked', j.id), 3);
      assert.equal(await auditCount('airlock.output_reviewed', rowLevel.id), 1);
      assert.equal(await auditCount('airlock.output_reviewed', total.id), 1);
      assert.equal(await auditCount('airlock.output_released', total.id), 1);
      assert.equal(await auditCount('airlock.output_downloaded', total.id), 2);
      assert.ok((await auditCount('airlock.output_viewed', scope.id)) >= 1);
    });
  });

  test('a second independent reviewer when the trust asks for one; the submitter never reviews', async () => {
    const projectId = await newProject('Two reviewers');
    const airlock = api.app.get(AirlockService);
    await airlock.setReviewersRequired(await principal(w.tokens.guardianA), 2);
    try {
      const res = await submit(projectId, TOTAL_ONLY_JOB, ['total']);
      assert.equal(await runner.process(res.body.id), 'finished');
      const out = (await job(projectId, res.body.id)).body.outputs[0]!;
      const first = await http<AirlockOutputView>(api, 'POST', `/airlock/outputs/${out.id}/reviews`, {
        token: w.tokens.guardianA,
        body: { decision: 'approve', reason: 'aggregate only' },
      });
      assert.equal(first.body.status, 'pending');
      assert.deepEqual(first.body.approvals, [{ trustId: w.trustA, approvals: 1, required: 2, rejected: false }]);
      // Not in the first reviewer's queue any more; in the second guardian's.
      const pending = await http<{ items: AirlockOutputView[] }>(api, 'GET', '/airlock/outputs?status=pending', {
        token: w.tokens.guardianA,
      });
      assert.ok(!pending.body.items.some((o) => o.id === out.id));
      const second = await w.svc.userAdmin.create(SYSTEM, {
        username: `guardian2-${Date.now()}`,
        password: TEST_PASSWORD,
        roles: [{ role: 'guardian', trustId: w.trustA }],
      });
      const g2 = await tokenFor(api, second.username);
      const queue2 = await http<{ items: AirlockOutputView[] }>(api, 'GET', '/airlock/outputs?status=pending', { token: g2 });
      assert.ok(queue2.body.items.some((o) => o.id === out.id));
      const done = await http<AirlockOutputView>(api, 'POST', `/airlock/outputs/${out.id}/reviews`, {
        token: g2,
        body: { decision: 'approve', reason: 'agree' },
      });
      assert.equal(done.body.status, 'released');
      // A guardian who is also a member of the partner (the submitter's organisation) may not review.
      const both = await w.svc.userAdmin.create(SYSTEM, {
        username: `dual-${Date.now()}`,
        password: TEST_PASSWORD,
        roles: [
          { role: 'guardian', trustId: w.trustA },
          { role: 'partner', partnerId: w.partnerA },
        ],
      });
      const dual = await tokenFor(api, both.username);
      const res2 = await http<JobView>(api, 'POST', `/projects/${projectId}/jobs`, {
        token: dual,
        body: { code: TOTAL_ONLY_JOB, language: 'js', outputs: ['total'] },
      });
      assert.equal(res2.status, 201);
      await runner.process(res2.body.id);
      const out2 = (await job(projectId, res2.body.id)).body.outputs[0]!;
      const self = await http(api, 'POST', `/airlock/outputs/${out2.id}/reviews`, {
        token: dual,
        body: { decision: 'approve', reason: 'my own job' },
      });
      assert.equal(self.status, 403);
    } finally {
      await airlock.setReviewersRequired(await principal(w.tokens.guardianA), 1);
    }
  });

  test('crash recovery: a stale lease is re-queued by the sweeper and the job completes; attempts used up → worker_lost', async () => {
    const projectId = await newProject('Crash');
    const repo = api.app.get(ComputeRepository);
    const res = await submit(projectId, TOTAL_ONLY_JOB, ['total']);
    const id = res.body.id;
    // A worker takes the job, writes part of its output, and is killed (-9): its lease runs out.
    assert.ok(await repo.claim(id, 'dead-host:4242:deadbeef', 60_000));
    await api.rt.store.put(`compute/${projectId}/${id}/a1/total`, Buffer.from('half-written'));
    assert.equal(await runner.process(id), 'skipped', 'a live lease is not taken over');
    await api.rt.db.query(`UPDATE compute.job SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
    const swept = await runner.sweep();
    assert.ok(swept.requeued >= 1);
    assert.equal((await job(projectId, id)).body.status, 'queued');
    assert.equal(await api.rt.store.exists(`compute/${projectId}/${id}/a1/total`), false, "the dead attempt's bytes are deleted");
    assert.equal(await auditCount('compute.job_requeued', id), 1);
    assert.equal(await runner.process(id), 'finished');
    const done = (await job(projectId, id)).body;
    assert.equal(done.status, 'succeeded');
    assert.equal(done.attempts, 2);
    assert.equal(done.outputs.length, 1);

    // Killed on every attempt: failed with a reason, never left running, nothing in the airlock.
    const lost = (await submit(projectId, TOTAL_ONLY_JOB, ['total'])).body.id;
    for (let i = 0; i < 3; i++) {
      assert.ok(await repo.claim(lost, `dead-host:${i}:x`, 60_000));
      await api.rt.db.query(`UPDATE compute.job SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [lost]);
      await runner.sweep();
    }
    const failed = (await job(projectId, lost)).body;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.failure, 'worker_lost');
    assert.equal(failed.outputs.length, 0);
    assert.equal(await runner.process(lost), 'skipped');
  });

  test('the partner cancels; revocation cancels queued and running jobs and withdraws unreleased outputs', async () => {
    const projectId = await newProject('Revoked');
    const queuedByPartner = (await submit(projectId, TOTAL_ONLY_JOB, ['total'])).body.id;
    const cancel = await http<JobView>(api, 'POST', `/projects/${projectId}/jobs/${queuedByPartner}/cancel`, { token: w.tokens.partnerA });
    assert.equal(cancel.status, 200);
    assert.equal(cancel.body.status, 'cancelled');
    assert.equal(
      (await http(api, 'POST', `/projects/${projectId}/jobs/${queuedByPartner}/cancel`, { token: w.tokens.partnerA })).status,
      409,
    );
    assert.equal(
      (await http(api, 'POST', `/projects/${projectId}/jobs/${queuedByPartner}/cancel`, { token: w.tokens.partnerB })).status,
      404,
    );

    const finished = (await submit(projectId, TOTAL_ONLY_JOB, ['total'])).body.id;
    await runner.process(finished);
    const pendingOutput = (await job(projectId, finished)).body.outputs[0]!;
    const queued = (await submit(projectId, TOTAL_ONLY_JOB, ['total'])).body.id;
    const spinning = (await submit(projectId, SPIN_JOB, ['total'])).body.id;
    const run = runner.process(spinning);
    for (let i = 0; i < 100 && (await job(projectId, spinning)).body.status !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));

    const started = Date.now();
    await access.revoke(await principal(w.tokens.guardianA), projectId, 'study stopped');
    assert.equal((await job(projectId, queued)).body.status, 'cancelled');
    assert.equal(await run, 'lost', 'the running job stops and its outputs are discarded');
    assert.ok(Date.now() - started < 10_000);
    const stopped = (await job(projectId, spinning)).body;
    assert.equal(stopped.status, 'cancelled');
    assert.equal(stopped.failure, 'project_not_active');
    assert.equal(stopped.outputs.length, 0);
    const withdrawn = (await job(projectId, finished)).body.outputs[0]!;
    assert.equal(withdrawn.status, 'withdrawn');
    await runner.sweep();
    const [row] = await api.rt.db.query<{ object_key: string | null }>(`SELECT object_key FROM compute.output WHERE id = $1`, [
      pendingOutput.id,
    ]);
    assert.equal(row!.object_key, null, 'withdrawn bytes are purged');
    assert.equal((await http(api, 'GET', `/airlock/outputs/${pendingOutput.id}/content`, { token: w.tokens.guardianA })).status, 404);
    const again = await submit(projectId, TOTAL_ONLY_JOB, ['total']);
    assert.equal(again.status, 403);
    await api.sealAudit();
    const [entry] = await api.rt.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit.entry WHERE action = 'compute.project_jobs_cancelled' AND project_id = $1`,
      [projectId],
    );
    assert.equal(entry!.n, 1);
  });

  test('through the queue: the worker handler runs a submitted job', async () => {
    // The earlier tests ran their jobs directly: drop their queue messages so this one is not behind them.
    await api.rt.db.query(`DELETE FROM pgboss.job WHERE name = 'compute.run'`);
    await registerComputeJobs(api.rt.queue, runner, 1);
    const projectId = await newProject('Queued');
    const res = await submit(projectId, TOTAL_ONLY_JOB, ['total']);
    let status = res.body.status;
    for (let i = 0; i < 150 && status !== 'succeeded' && status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await job(projectId, res.body.id)).body.status;
    }
    assert.equal(status, 'succeeded');
  });
});
