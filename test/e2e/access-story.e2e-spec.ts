import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ingestSyntheticPatients } from '../support/ehr.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, type Caller, type World } from '../support/identity.js';

/**
 * Issue 4's story over real HTTP: a partner applies to two trusts, their guardians decide
 * differently, the project is active for the approving trust only, queries count only that
 * trust's patients, an opt-out uploaded mid-way changes the next answer, and revocation blocks
 * the next call. Every step leaves an audit entry.
 */
describe('governed access: apply, decide, query, opt out, revoke', () => {
  let api: TestApi;
  let w: World;
  let nhsA: string[] = [];
  let projectId = '';

  const call = async (
    who: Caller,
    method: string,
    path: string,
    body?: unknown,
    type = 'application/json',
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  ): Promise<{ status: number; json: any }> => {
    const res = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${w.tokens[who]}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    api = await startTestApi();
    w = await createWorld(api);
    nhsA = await ingestSyntheticPatients(api, w.trustA, 101, 120);
    await ingestSyntheticPatients(api, w.trustB, 202, 120);
  });
  after(async () => api?.close());

  const everyone = { version: 1, criteria: { type: 'age', min: 0, max: 130 } };

  test('partner drafts and submits a request to two trusts', async () => {
    const created = await call('partnerA', 'POST', '/access-requests', {
      title: 'Diabetes outcomes',
      purpose: 'Study outcomes of type 2 diabetes treatment pathways',
      laySummary: 'We want to learn which treatments help people with diabetes most',
      legalBasisArt6: '6(1)(e)',
      legalBasisArt9: '9(2)(j)',
      commercialUse: true,
      duoCodes: ['DUO:0000007'],
      trustIds: [w.trustA, w.trustB],
      requestedData: { ehrResourceTypes: ['Patient', 'Condition', 'Observation'], imagingModalities: ['CT'] },
      deidentification: { ehrProfile: 'harbour-ehr-deid-1.0.0', dicomOptions: ['retainLongitudinalModifiedDates'] },
      requestedDurationDays: 365,
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    projectId = created.json.request.id;
    assert.equal(created.json.request.status, 'draft');
    // Not yet submitted: no guardian sees it.
    assert.equal((await call('guardianA', 'GET', `/access-requests/${projectId}`)).status, 404);
    const submitted = await call('partnerA', 'POST', `/access-requests/${projectId}/submit`);
    assert.equal(submitted.status, 200);
    assert.equal(submitted.json.request.status, 'under_review');
    // Queries before approval are refused.
    const early = await call('partnerA', 'POST', `/projects/${projectId}/queries/aggregate`, { cohort: everyone });
    assert.equal(early.status, 403);
    assert.equal(early.json.code, 'project_not_active');
  });

  test('an approval needs an end date, and a guardian decides only once', async () => {
    const noEnd = await call('guardianA', 'POST', `/access-requests/${projectId}/decisions`, { decision: 'approve', reason: 'Looks fine' });
    assert.equal(noEnd.status, 400);
    assert.equal(
      (await call('partnerA', 'POST', `/access-requests/${projectId}/decisions`, { decision: 'approve', reason: 'mine' })).status,
      403,
    );
  });

  test('trust A approves with a condition, trust B rejects: active for trust A only', async () => {
    const endDate = new Date(Date.now() + 90 * 86_400_000).toISOString();
    const a = await call('guardianA', 'POST', `/access-requests/${projectId}/decisions`, {
      decision: 'approve',
      reason: 'Approved for research use',
      conditions: { suppressionThreshold: 10, noImaging: true, note: 'No imaging from this trust' },
      endDate,
    });
    assert.equal(a.status, 201, JSON.stringify(a.json));
    assert.equal(a.json.request.status, 'active');
    const again = await call('guardianA', 'POST', `/access-requests/${projectId}/decisions`, {
      decision: 'reject',
      reason: 'changed my mind',
    });
    assert.equal(again.status, 409);
    const b = await call('guardianB', 'POST', `/access-requests/${projectId}/decisions`, {
      decision: 'reject',
      reason: 'Purpose not compatible with our policy',
    });
    assert.equal(b.status, 201);
    const view = await call('partnerA', 'GET', `/projects/${projectId}`);
    assert.equal(view.json.request.status, 'active');
    const states = Object.fromEntries((view.json.trusts as { trust_id: string; status: string }[]).map((t) => [t.trust_id, t.status]));
    assert.deepEqual(states, { [w.trustA]: 'approved', [w.trustB]: 'rejected' });
    // The partner sees the decisions with reasons.
    assert.ok((view.json.decisions as { reason: string }[]).some((d) => d.reason.includes('not compatible')));
    // Another partner cannot see the project at all.
    assert.equal((await call('partnerB', 'GET', `/projects/${projectId}`)).status, 404);
  });

  let firstTotal = 0;
  test("queries count only the approving trust's patients", async () => {
    const res = await call('partnerA', 'POST', `/projects/${projectId}/queries/aggregate`, { cohort: everyone, breakdowns: ['trust'] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const cells = res.json.breakdowns[0].cells as { key: string; value: number | null }[];
    assert.deepEqual(
      cells.map((c) => c.key),
      [w.trustA],
    );
    firstTotal = res.json.total.value;
    assert.equal(firstTotal, 120);
    assert.equal(firstTotal % 5, 0, 'counts are rounded to 5');
  });

  test('an opt-out uploaded mid-way changes the next answer', async () => {
    const up = await call(
      'guardianA',
      'POST',
      `/trusts/${w.trustA}/opt-outs`,
      `nhs_number\n${nhsA.slice(0, 30).join('\n')}\nnot-a-number\n`,
      'text/csv',
    );
    assert.equal(up.status, 201, JSON.stringify(up.json));
    assert.equal(up.json.entries, 30);
    assert.equal(up.json.invalid_lines, 1);
    const res = await call('partnerA', 'POST', `/projects/${projectId}/queries/aggregate`, { cohort: everyone, breakdowns: ['trust'] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.total.value, 90);
  });

  test('lineage: the guardian sees which earlier releases included an opted-out patient', async () => {
    const res = await call('guardianA', 'POST', `/trusts/${w.trustA}/lineage`, { nhsNumber: nhsA[0] });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.known, true);
    // The first aggregate (before the opt-out) counted the patient; the second did not.
    assert.equal(res.json.queryReleases.length, 1);
    assert.equal(res.json.queryReleases[0].projectId, projectId);
    assert.equal((await call('guardianB', 'POST', `/trusts/${w.trustA}/lineage`, { nhsNumber: nhsA[0] })).status, 404);
  });

  test('revocation blocks the very next call, and the partner sees why', async () => {
    const r = await call('guardianA', 'POST', `/projects/${projectId}/revoke`, { reason: 'Terms breached' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const next = await call('partnerA', 'POST', `/projects/${projectId}/queries/aggregate`, { cohort: everyone });
    assert.equal(next.status, 403);
    assert.equal(next.json.code, 'project_not_active');
    const view = await call('partnerA', 'GET', `/projects/${projectId}`);
    assert.equal(view.json.request.status, 'revoked');
    assert.match(view.json.request.status_reason, /Terms breached/);
  });

  test('every step is in the audit trail, with no patient identifiers', async () => {
    const res = await call('auditor', 'GET', `/audit/entries?project=${projectId}&limit=100`);
    assert.equal(res.status, 200);
    const body = JSON.stringify(res.json);
    const items = (res.json.entries ?? res.json.items ?? res.json) as { action: string }[];
    const actions = new Set(items.map((e) => e.action));
    for (const a of [
      'access_request.created',
      'access_request.submitted',
      'access_request.decided',
      'project.activated',
      'query.executed',
      'project.revoked',
    ]) {
      assert.ok(actions.has(a), `missing ${a} in ${[...actions].join(',')}`);
    }
    for (const nhs of nhsA.slice(0, 30)) assert.ok(!body.includes(nhs));
    const optOut = await call('auditor', 'GET', `/audit/entries?action=optout.list_uploaded&limit=10`);
    assert.ok(JSON.stringify(optOut.json).includes('optout.list_uploaded'));
  });
});
