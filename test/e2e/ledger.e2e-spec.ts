import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { AuditLog, AuditRepository, SYSTEM_ACTOR } from '@harbour/audit';
import { createLedger, periodBounds, periodOf, type Statement } from '@harbour/ledger';
import { createCompliance, unzipStored, verifyCompliancePack, writePackDir, type ComplianceReport } from '@harbour/compliance';
import { findProjectRoot } from '@harbour/config';
import { ingestSyntheticPatients } from '../support/ehr.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, SYSTEM, TEST_PASSWORD, tokenFor, type World } from '../support/identity.js';

/**
 * Issue 6 over real HTTP: a scripted stretch of two months with two partners, three trusts and
 * two projects. Queries are metered by the query path itself; compute minutes and released
 * outputs (built by another capability) are injected through the metering service with their own
 * audit entries. Checks: trust statements sum exactly to the agreed share of partner charges,
 * a duplicated event is billed once, reconciliation is clean before and after close, statements
 * are scoped and signed, and the compliance pack verifies offline (and fails once altered).
 */
describe('ledger over HTTP and the compliance pack', () => {
  let api: TestApi;
  let w: World;
  let trustC = '';
  let guardianC = '';
  let nhsB: string[] = [];
  const projects: { p1: string; p2: string } = { p1: '', p2: '' };
  const releases: string[] = [];
  const now = new Date();
  const cur = periodOf(now);
  const prevStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const prev = periodOf(prevStart);
  const midPrev = new Date(prevStart.getTime() + 14 * 86_400_000);
  const everyone = { version: 1, criteria: { type: 'age', min: 0, max: 130 } };
  const SHARE = { p1: 400, p2: 1000 };

  const call = async (token: string, method: string, path: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    const ct = res.headers.get('content-type') ?? '';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const json: any = ct.includes('json') && buf.length ? JSON.parse(buf.toString('utf8')) : undefined;
    return { status: res.status, json, buf, headers: res.headers };
  };
  const t = (who: keyof World['tokens']): string => w.tokens[who];

  before(async () => {
    api = await startTestApi();
    w = await createWorld(api);
    const tc = await w.svc.organisations.createTrust(SYSTEM, {
      odsCode: `C${w.trustA.slice(0, 4).toUpperCase()}`.slice(0, 5),
      name: 'Trust C (test)',
    });
    trustC = tc.id;
    const gc = await w.svc.userAdmin.create(SYSTEM, {
      username: `guardianc-${trustC.slice(0, 6)}`,
      password: TEST_PASSWORD,
      roles: [{ role: 'guardian', trustId: trustC }],
    });
    guardianC = await tokenFor(api, gc.username);
    await ingestSyntheticPatients(api, w.trustA, 11, 40);
    nhsB = await ingestSyntheticPatients(api, w.trustB, 22, 40);
    await ingestSyntheticPatients(api, trustC, 33, 40);
  });
  after(async () => api?.close());

  const apply = async (partner: string, trustIds: string[]): Promise<string> => {
    const created = await call(partner, 'POST', '/access-requests', {
      title: 'Outcomes study',
      purpose: 'Study outcomes of treatment pathways across trusts',
      laySummary: 'We want to learn which treatments help people most',
      legalBasisArt6: '6(1)(e)',
      legalBasisArt9: '9(2)(j)',
      commercialUse: true,
      duoCodes: ['DUO:0000007'],
      trustIds,
      requestedData: { ehrResourceTypes: ['Patient', 'Condition'], imagingModalities: [] },
      deidentification: { ehrProfile: 'harbour-ehr-deid-1.0.0', dicomOptions: [] },
      requestedDurationDays: 365,
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const id = created.json.request.id as string;
    assert.equal((await call(partner, 'POST', `/access-requests/${id}/submit`)).status, 200);
    return id;
  };
  const approve = async (guardian: string, id: string): Promise<void> => {
    const endDate = new Date(Date.now() + 90 * 86_400_000).toISOString();
    const r = await call(guardian, 'POST', `/access-requests/${id}/decisions`, {
      decision: 'approve',
      reason: 'Approved for research use',
      endDate,
    });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  };
  const query = async (partner: string, projectId: string): Promise<number> => {
    const r = await call(partner, 'POST', `/projects/${projectId}/queries/aggregate`, { cohort: everyone, breakdowns: ['trust'] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    releases.push(r.json.releaseId as string);
    return r.json.total.value as number;
  };

  test('operators set agreements; nobody else may', async () => {
    projects.p1 = await apply(t('partnerA'), [w.trustA, w.trustB]);
    projects.p2 = await apply(t('partnerB'), [w.trustB, trustC]);
    await approve(t('guardianA'), projects.p1);
    await approve(t('guardianB'), projects.p1);
    await approve(t('guardianB'), projects.p2);
    await approve(guardianC, projects.p2);
    const fees1 = {
      fixedPerPeriodPence: 500_000,
      perQueryPence: 250,
      perComputeMinutePence: 25,
      perOutputReleasedPence: 10_000,
      perImagingStudyPence: 75,
    };
    const fees2 = {
      fixedPerPeriodPence: 0,
      perQueryPence: 300,
      perComputeMinutePence: 20,
      perOutputReleasedPence: 5_000,
      perImagingStudyPence: 50,
    };
    const body1 = { fees: fees1, trustShareBps: SHARE.p1, splitMethod: 'contribution', effectiveFrom: prevStart.toISOString() };
    assert.equal((await call(t('partnerA'), 'PUT', `/projects/${projects.p1}/agreement`, body1)).status, 403);
    assert.equal((await call(t('auditor'), 'PUT', `/projects/${projects.p1}/agreement`, body1)).status, 403);
    const a1 = await call(t('operator'), 'PUT', `/projects/${projects.p1}/agreement`, body1);
    assert.equal(a1.status, 200, JSON.stringify(a1.json));
    assert.equal(a1.json.version, 1);
    assert.equal(a1.json.partnerId, w.partnerA);
    assert.deepEqual(
      (a1.json.trusts as { trustId: string }[]).map((x) => x.trustId).sort(),
      [w.trustA, w.trustB].sort(),
      'defaults to the approving trusts',
    );
    const a2 = await call(t('operator'), 'PUT', `/projects/${projects.p2}/agreement`, {
      fees: fees2,
      trustShareBps: SHARE.p2,
      splitMethod: 'equal',
      effectiveFrom: prevStart.toISOString(),
    });
    assert.equal(a2.status, 200, JSON.stringify(a2.json));
    const bad = await call(t('operator'), 'PUT', `/projects/${projects.p2}/agreement`, { ...body1, trusts: [{ trustId: w.trustA }] });
    assert.equal(bad.status, 400, 'a trust outside the project');
    // The partner sees its own agreement; the other partner does not.
    assert.equal((await call(t('partnerA'), 'GET', `/projects/${projects.p1}/agreement`)).status, 200);
    assert.equal((await call(t('partnerB'), 'GET', `/projects/${projects.p1}/agreement`)).status, 404);
  });

  test('queries are metered once each, in the transaction that released them', async () => {
    const before = await query(t('partnerA'), projects.p1);
    assert.equal(before, 80);
    // Trust B uploads an opt-out list between two queries: later results must not count them.
    const up = await call(
      t('guardianB'),
      'POST',
      `/trusts/${w.trustB}/opt-outs`,
      `nhs_number\n${nhsB.slice(0, 15).join('\n')}\n`,
      'text/csv',
    );
    assert.equal(up.status, 201, JSON.stringify(up.json));
    assert.equal(await query(t('partnerA'), projects.p1), 65);
    assert.equal(await query(t('partnerA'), projects.p1), 65);
    await query(t('partnerB'), projects.p2);
    await query(t('partnerB'), projects.p2);

    const ledger = createLedger(api.rt.db);
    // Delivering a query's event again (a retry) bills nothing new.
    const again = await ledger.metering.recordBillableEvent({
      idempotencyKey: `query.executed:${releases[0]!}`,
      projectId: projects.p1,
      kind: 'query.executed',
      occurredAt: new Date(),
      auditEntryId: 1,
      contributions: [],
    });
    assert.equal(again.outcome, 'duplicate');
  });

  test('compute minutes and released outputs (other capabilities) are metered against their audit entries', async () => {
    const audit = new AuditLog(api.rt.db, new AuditRepository(api.rt.db));
    const ledger = createLedger(api.rt.db);
    const inject = async (projectId: string, jobId: string, trustIds: string[], minutes: number): Promise<void> => {
      await api.rt.db.run(async () => {
        const finished = await audit.append({
          action: 'compute.job_finished',
          actor: SYSTEM_ACTOR,
          target: { type: 'compute_job', id: jobId },
          projectId,
          payload: {
            jobId,
            status: 'succeeded',
            failure: null,
            attempt: 1,
            outputs: 1,
            wallMs: minutes * 60_000,
            cpuMs: minutes * 60_000,
            recordsRead: 100,
            patientsRead: 40,
          },
        });
        const m = await ledger.metering.recordBillableEvent({
          idempotencyKey: `compute.minutes:${jobId}:1`,
          projectId,
          kind: 'compute.minutes',
          quantity: minutes,
          occurredAt: midPrev,
          auditEntryId: finished.id,
          contributions: trustIds.map((trustId, i) => ({ trustId, patients: 20 + i * 7 })),
        });
        assert.equal(m.outcome, 'recorded');
        assert.equal(m.periodId, prev);
        const released = await audit.append({
          action: 'airlock.output_released',
          actor: SYSTEM_ACTOR,
          target: { type: 'compute_output', id: jobId },
          projectId,
          payload: { jobId, sha256: 'a'.repeat(64), trustIds },
        });
        await ledger.metering.recordBillableEvent({
          idempotencyKey: `output.released:${jobId}`,
          projectId,
          kind: 'output.released',
          occurredAt: midPrev,
          auditEntryId: released.id,
          contributions: trustIds.map((trustId) => ({ trustId, patients: 10 })),
        });
      });
    };
    await inject(projects.p1, '7b0f1c2e-0000-4000-8000-000000000001', [w.trustA, w.trustB], 10);
    await inject(projects.p2, '7b0f1c2e-0000-4000-8000-000000000002', [w.trustB, trustC], 10);
    // A twice-delivered release notification is billed once.
    const dup = await ledger.metering.recordBillableEvent({
      idempotencyKey: 'output.released:7b0f1c2e-0000-4000-8000-000000000001',
      projectId: projects.p1,
      kind: 'output.released',
      occurredAt: midPrev,
      auditEntryId: 1,
      contributions: [],
    });
    assert.equal(dup.outcome, 'duplicate');
  });

  const statementOf = async (party: 'partner' | 'trust', id: string, period: string, token = t('auditor')): Promise<Statement> => {
    const r = await call(token, 'GET', `/ledger/statements?party=${party}&id=${id}&period=${period}&format=json`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.statement as Statement;
  };
  const total = (s: Statement): number => s.totals.reduce((n, x) => n + x.amountPence, 0);

  /** Σ trust statements = Σ over partner lines of (project share × charge), exactly. */
  const assertShares = async (period: string): Promise<{ partnerA: Statement; partnerB: Statement }> => {
    const partnerA = await statementOf('partner', w.partnerA, period);
    const partnerB = await statementOf('partner', w.partnerB, period);
    const bps = (projectId: string | null): number => (projectId === projects.p1 ? SHARE.p1 : SHARE.p2);
    const expected = [...partnerA.lines, ...partnerB.lines].reduce((n, l) => {
      assert.equal((l.amountPence * bps(l.projectId)) % 10_000, 0, 'prices chosen so each share is whole pence');
      return n + (l.amountPence * bps(l.projectId)) / 10_000;
    }, 0);
    let trusts = 0;
    for (const id of [w.trustA, w.trustB, trustC]) trusts += total(await statementOf('trust', id, period));
    assert.ok(expected > 0);
    assert.equal(trusts, expected, `trust statements of ${period} sum to the agreed share of partner charges`);
    return { partnerA, partnerB };
  };

  test('statements: trusts earn exactly the agreed share; each event billed once', async () => {
    const { partnerA, partnerB } = await assertShares(cur);
    const queries = (s: Statement): number => s.lines.filter((l) => l.eventKind === 'query.executed').reduce((n, l) => n + l.events, 0);
    assert.equal(queries(partnerA), 3, 'the re-delivered query event was not billed again');
    assert.equal(total(partnerA), 3 * 250);
    assert.equal(queries(partnerB), 2);
    assert.equal(total(partnerB), 2 * 300);
    const old = await assertShares(prev);
    assert.equal(total(old.partnerA), 10 * 25 + 10_000, 'compute minutes and one released output');
    assert.equal(total(old.partnerB), 10 * 20 + 5_000);
    // P2 splits equally between trusts B and C: 10% of 300 = 30 per query → 15 each.
    const c = await statementOf('trust', trustC, cur);
    assert.equal(total(c), 2 * 15);
  });

  test('statements are scoped to the caller, listed for the console, and come as csv, pdf and signed jws', async () => {
    assert.equal((await call(t('partnerA'), 'GET', `/ledger/statements?party=partner&id=${w.partnerB}&period=${cur}`)).status, 404);
    assert.equal((await call(t('partnerA'), 'GET', `/ledger/statements?party=trust&id=${w.trustA}&period=${cur}`)).status, 404);
    assert.equal((await call(t('guardianA'), 'GET', `/ledger/statements?party=trust&id=${w.trustB}&period=${cur}`)).status, 404);
    await statementOf('trust', w.trustA, cur, t('guardianA'));
    await statementOf('partner', w.partnerA, cur, t('partnerClientA'));

    const mine = await call(t('guardianA'), 'GET', `/ledger/statements?trustId=${w.trustA}`);
    assert.equal(mine.status, 200);
    const items = mine.json.items as { trustId: string; period: string; amountPence: number; status: string }[];
    assert.ok(items.length >= 2 && items.every((i) => i.trustId === w.trustA));
    assert.deepEqual([...new Set(items.map((i) => i.period))].sort(), [prev, cur].sort());
    assert.equal((await call(t('guardianA'), 'GET', `/ledger/statements?trustId=${w.trustB}`)).json.items.length, 0);
    const all = await call(t('operator'), 'GET', '/ledger/statements');
    assert.deepEqual(
      [...new Set((all.json.items as { trustId: string }[]).map((i) => i.trustId))].sort(),
      [w.trustA, w.trustB, trustC].sort(),
    );
    const partners = await call(t('partnerB'), 'GET', '/ledger/statements');
    assert.ok((partners.json.items as { partnerId: string }[]).every((i) => i.partnerId === w.partnerB));

    const csv = await call(t('guardianA'), 'GET', `/ledger/statements?party=trust&id=${w.trustA}&period=${cur}&format=csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
    assert.match(csv.buf.toString('utf8'), /^line_no,/);
    const pdf = await call(t('guardianA'), 'GET', `/ledger/statements?party=trust&id=${w.trustA}&period=${cur}&format=pdf`);
    assert.equal(pdf.buf.subarray(0, 5).toString('latin1'), '%PDF-');
    const jws = await call(t('partnerA'), 'GET', `/ledger/statements?party=partner&id=${w.partnerA}&period=${cur}&format=jws`);
    assert.equal(jws.status, 200);
    const jwks = (await (await fetch(`${api.baseUrl}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
    const verified = await compactVerify(jws.buf.toString('utf8'), createLocalJWKSet(jwks), { algorithms: ['ES256'] });
    const signed = JSON.parse(new TextDecoder().decode(verified.payload)) as Statement & { events: { rows: number } };
    assert.equal(signed.party.id, w.partnerA);
    assert.equal(signed.events.rows, 3);
  });

  test('reconciliation is clean; a period closes once it has ended, charging fixed fees once', async () => {
    assert.equal((await call(t('guardianA'), 'GET', `/ledger/periods/${cur}/reconciliation`)).status, 403);
    for (const period of [prev, cur]) {
      const r = await call(t('auditor'), 'GET', `/ledger/periods/${period}/reconciliation`);
      assert.equal(r.status, 200);
      assert.equal(r.json.ok, true, JSON.stringify(r.json));
    }
    assert.equal((await call(t('operator'), 'POST', `/ledger/periods/${cur}/close`)).status, 409, 'the current month has not ended');
    assert.equal((await call(t('auditor'), 'POST', `/ledger/periods/${prev}/close`)).status, 403);
    const closed = await call(t('operator'), 'POST', `/ledger/periods/${prev}/close`);
    assert.equal(closed.status, 200, JSON.stringify(closed.json));
    assert.equal(closed.json.periodFees, 1, "project 1's fixed fee (project 2 has none)");
    assert.equal(closed.json.debitPence, closed.json.creditPence);
    assert.equal((await call(t('operator'), 'POST', `/ledger/periods/${prev}/close`)).status, 409);
    const r = await call(t('operator'), 'GET', `/ledger/periods/${prev}/reconciliation`);
    assert.equal(r.json.periodStatus, 'closed');
    assert.equal(r.json.ok, true, JSON.stringify(r.json));
    const old = await assertShares(prev);
    assert.equal(total(old.partnerA), 10 * 25 + 10_000 + 500_000);
  });

  let packDir = '';
  test('the compliance pack verifies offline, and altering one line breaks it', async () => {
    const from = prevStart.toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await call(t('operator'), 'GET', `/compliance/report?from=${from}&to=${to}`)).status, 403);
    const res = await call(t('auditor'), 'GET', `/compliance/report?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    assert.equal(res.status, 200, res.buf.toString('utf8').slice(0, 300));
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.match(res.headers.get('content-disposition') ?? '', /filename="harbour-compliance-.*\.zip"/);
    const files = unzipStored(res.buf);
    for (const f of [
      'manifest.json',
      'manifest.jws',
      'jwks.json',
      'entries.jsonl',
      'checkpoints.jsonl',
      'report.pdf',
      'report.json',
      'opt-out-compliance.csv',
      'processing-records.csv',
    ])
      assert.ok(files.has(f), `pack has ${f}`);
    const v = await verifyCompliancePack(files);
    assert.equal(v.ok, true, JSON.stringify(v.failure));
    assert.ok((v.audit?.entriesChecked ?? 0) > 20 && (v.audit?.checkpointsChecked ?? 0) >= 1);

    const report = JSON.parse(files.get('report.json')!.toString('utf8')) as ComplianceReport;
    assert.equal(report.optOutCompliance.releasesChecked, releases.length);
    assert.equal(report.optOutCompliance.violations, 0);
    assert.equal(report.optOutCompliance.unverifiable, 0);
    const afterOptOut = report.optOutCompliance.releases.filter((c) => c.releaseId === releases[1]);
    assert.ok(
      afterOptOut[0]?.listVersionsAtTime.some((k) => k.startsWith(`${w.trustB}:`)),
      'the list version used is named',
    );
    assert.equal(afterOptOut[0]?.personsCounted, 65);
    const p1 = report.processingRecords.find((r) => r.projectId === projects.p1)!;
    assert.equal(p1.legalBasis.article6, '6(1)(e)');
    assert.equal(p1.recipients.partnerId, w.partnerA);
    assert.equal(p1.approvals.filter((a) => a.decision === 'approve').length, 2);
    assert.equal(p1.agreement?.trustShareBps, SHARE.p1);
    assert.ok(report.dataAccess.filter((e) => e.action === 'query.executed').length >= releases.length);
    assert.ok(report.airlockDecisions.some((e) => e.action === 'airlock.output_released'));
    assert.ok(report.sdcActions.length > 0);
    assert.deepEqual(report.revenue.map((r) => r.periodId).sort(), [prev, cur].sort());
    assert.ok(report.revenue.every((r) => r.reconciliation.ok));
    assert.equal(report.summary.auditTrailOk, true);
    assert.ok([...files.keys()].some((f) => f.startsWith(`statements/${prev}/trust-`) && f.endsWith('.jws')));

    // Altering one line of one file fails verification, naming the file.
    const csv = files.get('data-access.csv')!.toString('utf8').split('\r\n');
    csv[1] = csv[1]!.replace('query.executed', 'query.refused');
    const altered = new Map(files).set('data-access.csv', Buffer.from(csv.join('\r\n')));
    const bad = await verifyCompliancePack(altered);
    assert.equal(bad.ok, false);
    assert.equal(bad.failure?.kind, 'altered_file');
    assert.equal(bad.failure?.path, 'data-access.csv');
    const extra = await verifyCompliancePack(new Map(files).set('notes.txt', Buffer.from('x')));
    assert.equal(extra.failure?.kind, 'extra_file');
  });

  test('`harbour audit verify` verifies a pack folder, and exits 1 once a line is altered', async () => {
    // Built the way `harbour compliance report` builds it (no Nest), written as files.
    const id = w.svc;
    const { reports } = createCompliance({ db: api.rt.db, audit: id.audit, auditTrail: id.auditTrail, signer: id.signingKeys });
    const built = await reports.buildPack({ from: prevStart, to: new Date(Date.now() + 60_000) }, SYSTEM_ACTOR);
    assert.equal(built.report.summary.optOutViolations, 0);
    packDir = mkdtempSync(join(tmpdir(), 'pack-cli-'));
    writePackDir(packDir, built.files);
    const root = findProjectRoot();
    const run = () =>
      spawnSync(process.execPath, [join(root, 'bin', 'harbour.mjs'), 'audit', 'verify', packDir], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const ok = run();
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK: compliance pack signed by key/);
    const path = join(packDir, 'entries.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[3] = lines[3]!.replace('"outcome":"success"', '"outcome":"failure"');
    writeFileSync(path, lines.join('\n'));
    const bad = run();
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /FAILED: altered_file \(entries\.jsonl\)/);
  });

  test('the opt-out check catches a result that counted an opted-out person', async () => {
    // Forge what a broken query path would leave: a release that counted a person opted out at the time.
    const [opted] = await api.rt.db.query<{ id: string }>(
      `SELECT cp.id FROM consent.person cp JOIN consent.opt_out o ON o.nhs_bidx = cp.nhs_bidx LIMIT 1`,
    );
    assert.ok(opted);
    const forged = '5f0e0000-0000-4000-8000-00000000f0e0';
    await api.rt.db.query(
      `INSERT INTO query.release (id, partner_id, project_id, cohort_hash, canonical_cohort, request, released, person_count, sketch)
       VALUES ($1, $2, $3, 'x', '{}', '{"kind":"aggregate"}', '{}', 1, '\\x00')`,
      [forged, w.partnerA, projects.p1],
    );
    await api.rt.db.query(`INSERT INTO query.release_member (release_id, trust_id, person_ids) VALUES ($1, $2, ARRAY[$3::uuid])`, [
      forged,
      w.trustB,
      opted.id,
    ]);
    const res = await call(
      t('auditor'),
      'GET',
      `/compliance/report?from=${encodeURIComponent(prevStart.toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    const report = JSON.parse(unzipStored(res.buf).get('report.json')!.toString('utf8')) as ComplianceReport;
    assert.equal(report.optOutCompliance.ok, false);
    assert.equal(report.optOutCompliance.violations, 1);
    const row = report.optOutCompliance.releases.find((r) => r.releaseId === forged)!;
    assert.equal(row.status, 'violation');
    assert.equal(row.optedOutAtTime, 1);
    assert.match(row.note ?? '', /no query.executed entry/);
    assert.ok(periodBounds(cur).start <= new Date(row.at));
  });
});
