/**
 * The web console in a real browser (headless Debian Chromium driven by playwright-core)
 * against a real station: guardians, auditors and operators do their main jobs through the
 * console, and each flow checks that the other roles cannot reach those pages or actions
 * (the console hides them, and the API refuses them).
 * Skipped, with the reason, when /usr/bin/chromium is absent; flows whose API module has not
 * landed yet are skipped with the missing route named.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFhirNdjsonExtract } from '@harbour/synthetic';
import { IngestionRunner } from '@harbour/ingestion';
import { ComputeJobRunner } from '@harbour/compute';
import type { Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, http, newClientKeys, TEST_PASSWORD, type World } from '../support/identity.js';
import { browserSkipReason, ensureConsoleBuilt, launchBrowser, signIn, stationRoutes, type Browser } from './console-harness.js';

const noBrowser = browserSkipReason();
if (noBrowser) console.log(`# console browser tests skipped: ${noBrowser}`);

let api: TestApi;
let world: World;
let routes: Set<string>;
let browser: Browser | undefined;

/**
 * A pending airlock output for guardian A: trust A's synthetic patients are ingested, partner A
 * submits a job to the project approved earlier in this file, and the job runs in-process (as a
 * worker would), leaving its outputs in the airlock.
 */
async function produceAirlockOutput(): Promise<void> {
  const projects = await http<{ request: { id: string; status: string } }[]>(api, 'GET', '/projects', { token: world.tokens.partnerA });
  const active = (projects.body ?? []).find((p) => p.request.status === 'active');
  if (!active) return;
  const dir = await mkdtemp(join(tmpdir(), 'console-airlock-'));
  await writeFhirNdjsonExtract(dir, 31, 30);
  const runner = new IngestionRunner(api.rt);
  await runner.run(await runner.createBatch(world.trustA, 'fhir', dir, null), dir);
  const job = await http<{ id: string }>(api, 'POST', `/projects/${active.request.id}/jobs`, {
    token: world.tokens.partnerA,
    body: {
      language: 'js',
      outputs: ['patients_by_sex'],
      code: `export async function main(h) {
  const bySex = {};
  for await (const p of h.cohort()) bySex[p.sex] = (bySex[p.sex] ?? 0) + 1;
  h.output.table('patients_by_sex', ['sex', 'patients'], Object.entries(bySex).map(([k, v]) => [k, v]));
}`,
    },
  });
  assert.equal(job.status, 201, JSON.stringify(job.body));
  await api.app.get(ComputeJobRunner).process(job.body.id);
}

before(async () => {
  assert.ok(await ensureConsoleBuilt(), 'the console builds (npm run build:console)');
  api = await startTestApi();
  world = await createWorld(api);
  routes = await stationRoutes(api.baseUrl);
  if (!noBrowser) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await api?.close();
});

/** A fresh tab (own sessionStorage, so its own sign-in), signed in as `user`. */
async function pageAs(user: keyof World['users'], path = '/'): Promise<Page> {
  const page = await browser!.newPage();
  await signIn(page, api.baseUrl, world.users[user].username, TEST_PASSWORD, path);
  return page;
}

async function expectNoAccess(user: keyof World['users'], path: string): Promise<void> {
  const page = await pageAs(user, path);
  try {
    await page.getByTestId('no-access').waitFor();
    assert.equal(
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: navNameFor(path) })
        .count(),
      0,
      `${user} has no nav link to ${path}`,
    );
  } finally {
    await page.close();
  }
}

function navNameFor(path: string): string {
  if (path.startsWith('/requests')) return 'Access requests';
  if (path.startsWith('/airlock')) return 'Airlock';
  if (path.startsWith('/audit')) return 'Audit trail';
  if (path.startsWith('/compliance')) return 'Compliance packs';
  if (path.startsWith('/partners')) return 'Partners and clients';
  return path;
}

function needRoutes(t: TestContext, ...wanted: string[]): boolean {
  const missing = wanted.filter((r) => !routes.has(r));
  if (missing.length) {
    t.skip(`API not on this station yet: ${missing.join(', ')}`);
    return false;
  }
  return true;
}

describe('console: served by the API', () => {
  test('the console is served at /console, same origin, with SPA fallback and a strict CSP', async () => {
    const index = await fetch(`${api.baseUrl}/console`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(index.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const html = await index.text();
    assert.match(html, /<div id="root">/);
    assert.doesNotMatch(html, /https?:\/\//, 'no external resources (CDN, fonts)');
    const deep = await fetch(`${api.baseUrl}/console/requests/some-id`);
    assert.equal(deep.status, 200, 'deep links get index.html');
    assert.equal(await deep.text(), html);
    const asset = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'index.html loads a bundled script');
    const js = await fetch(`${api.baseUrl}${asset}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    assert.equal((await fetch(`${api.baseUrl}/console/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${api.baseUrl}/console/..%2f..%2fpackage.json`)).status, 200, 'traversal falls back to the page');
    assert.doesNotMatch(await (await fetch(`${api.baseUrl}/console/..%2f..%2fpackage.json`)).text(), /"dependencies"/);
    const doc = (await (await fetch(`${api.baseUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/console')), 'console files are not API routes in the docs');
  });
});

describe('console: sign in', { skip: noBrowser }, () => {
  test('the sign-in form is labelled, works from the keyboard, and says when the password is wrong', async () => {
    const page = await browser!.newPage();
    try {
      await page.goto(`${api.baseUrl}/console/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await page.getByLabel('Username').fill(world.users.auditor.username);
      await page.getByLabel('Password').fill('not the password');
      await page.keyboard.press('Enter');
      await page.getByRole('alert').getByText('The username or password is not right.').waitFor();
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.keyboard.press('Enter');
      await page.getByTestId('whoami').getByText('Auditor').waitFor();
      // The skip link is the first thing the keyboard reaches, and it moves focus to the page.
      const firstTabbable = await page.evaluate<string | undefined>(
        "document.querySelector('a[href], button, input, select, textarea')?.textContent",
      );
      assert.equal(firstTabbable, 'Skip to main content');
      await page.getByRole('link', { name: 'Skip to main content' }).focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate<string | undefined>('document.activeElement?.id'), 'main');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      // Signed out: the refresh token no longer works.
      const stored = await page.evaluate<string | null>("sessionStorage.getItem('harbour.console.refresh')");
      assert.equal(stored, null);
    } finally {
      await page.close();
    }
  });
});

describe('console: guardian', { skip: noBrowser }, () => {
  let requestId: string;
  const title = 'Console e2e: outcomes after hip replacement';

  before(async () => {
    if (!routes.has('POST /access-requests')) return;
    const created = await http<{ request: { id: string } }>(api, 'POST', '/access-requests', {
      token: world.tokens.partnerA,
      body: {
        title,
        purpose: 'Compare outcomes after hip replacement across trusts for a registry study.',
        laySummary: 'We want to learn which hip operations help people recover best.',
        legalBasisArt6: '6(1)(e)',
        legalBasisArt9: '9(2)(j)',
        commercialUse: false,
        duoCodes: ['DUO:0000007'],
        trustIds: [world.trustA, world.trustB],
        requestedData: { ehrResourceTypes: ['Patient', 'Condition', 'Procedure'], imagingModalities: [] },
        deidentification: { ehrProfile: 'harbour-ehr-default', dicomOptions: [] },
        requestedDurationDays: 365,
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    requestId = created.body.request.id;
    const submitted = await http(api, 'POST', `/access-requests/${requestId}/submit`, { token: world.tokens.partnerA });
    assert.ok(submitted.status === 200 || submitted.status === 201, JSON.stringify(submitted.body));
  });

  test('a guardian sees the request in the queue and approves it with a condition and an end date', async (t) => {
    if (!needRoutes(t, 'POST /access-requests', 'GET /access-requests/{id}', 'POST /access-requests/{id}/decisions')) return;
    const page = await pageAs('guardianA');
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Access requests' }).click();
      const queue = page.getByRole('region', { name: 'Requests awaiting your decision' });
      await queue.getByRole('link', { name: title }).click();
      await page.getByRole('heading', { name: title, level: 1 }).waitFor();
      await page.getByText('Compare outcomes after hip replacement').first().waitFor();
      await page.getByRole('radio', { name: 'Approve' }).check();
      await page.getByLabel('Reason').fill('Approved: the purpose and safeguards fit our policy.');
      await page.getByLabel('Suppress counts below').fill('20');
      await page.getByLabel('Other condition').fill('No linkage to other datasets.');
      const end = new Date(Date.now() + 180 * 86400_000).toISOString().slice(0, 10);
      await page.getByLabel('End date').fill(end);
      await page.getByRole('button', { name: 'Approve…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Approve this request?' });
      await dialog.getByText('Suppress counts below 20').waitFor();
      await dialog.getByRole('button', { name: 'Yes, approve' }).click();
      await page.getByTestId('flash').getByText(`Approved “${title}” for your trust with 2 conditions`).waitFor();
      await page.getByText('Your trust’s decision: Approved.').waitFor();
    } finally {
      await page.close();
    }
    // The API recorded it, with the condition, for trust A only.
    const view = await http<{
      trusts: { trust_id: string; status: string; conditions: Record<string, unknown> }[];
      decisions: { decision: string; conditions: Record<string, unknown> }[];
    }>(api, 'GET', `/access-requests/${requestId}`, { token: world.tokens.guardianA });
    const mine = view.body.trusts.find((x) => x.trust_id === world.trustA);
    assert.equal(mine?.status, 'approved');
    assert.equal(mine?.conditions['suppressionThreshold'], 20);
    assert.equal(view.body.decisions.find((d) => d.decision === 'approve')?.conditions['note'], 'No linkage to other datasets.');
  });

  test('other roles cannot decide: no form for the auditor or partner, no page for the operator, 403 from the API', async (t) => {
    if (!needRoutes(t, 'POST /access-requests', 'POST /access-requests/{id}/decisions')) return;
    for (const who of ['auditor', 'partnerA'] as const) {
      const page = await pageAs(who, `/requests/${requestId}`);
      try {
        await page.getByRole('heading', { name: title, level: 1 }).waitFor();
        assert.equal(await page.getByRole('heading', { name: "Your trust's decision" }).count(), 0, `${who} sees no decision form`);
      } finally {
        await page.close();
      }
    }
    await expectNoAccess('operator', `/requests/${requestId}`);
    await expectNoAccess('operator', '/airlock');
    await expectNoAccess('auditor', '/airlock');
    await expectNoAccess('partnerA', '/airlock');
    for (const who of ['auditor', 'operator', 'partnerA'] as const) {
      const res = await http(api, 'POST', `/access-requests/${requestId}/decisions`, {
        token: world.tokens[who],
        body: { decision: 'approve', reason: 'not mine to decide', endDate: new Date(Date.now() + 86400_000 * 30).toISOString() },
      });
      assert.ok(res.status === 403 || res.status === 404, `${who} deciding got ${res.status}`);
    }
  });

  test('a guardian reviews an airlock output (findings, preview) and rejects it with a reason', async (t) => {
    if (
      !needRoutes(
        t,
        'GET /airlock/outputs',
        'GET /airlock/outputs/{id}',
        'GET /airlock/outputs/{id}/content',
        'POST /airlock/outputs/{id}/reviews',
      )
    )
      return;
    await produceAirlockOutput();
    const pending = await http<unknown>(api, 'GET', '/airlock/outputs?status=pending', { token: world.tokens.guardianA });
    const items = Array.isArray(pending.body)
      ? (pending.body as { id: string }[])
      : ((pending.body as { items?: { id: string }[] }).items ?? []);
    if (items.length === 0) {
      t.skip('no pending airlock output: producing one needs the compute module to run a job on this station');
      return;
    }
    const output = items[0]!;
    const page = await pageAs('guardianA', '/airlock');
    try {
      await page.getByRole('heading', { name: 'Airlock', level: 1 }).waitFor();
      await page.locator(`a[href="/console/airlock/${output.id}"]`).click();
      await page.getByRole('heading', { name: 'Automatic findings' }).waitFor();
      await page.getByRole('heading', { name: 'Preview' }).waitFor();
      await page.getByRole('radio', { name: 'Reject' }).check();
      await page.getByLabel('Reason').fill('Rejected: a cell below the suppression threshold.');
      await page.getByRole('button', { name: 'Reject output…' }).click();
      await page.getByRole('dialog', { name: 'Reject this output?' }).getByRole('button', { name: 'Yes, reject' }).click();
      await page
        .getByTestId('flash')
        .getByText(/Rejected .*The partner sees your reason\./)
        .waitFor();
    } finally {
      await page.close();
    }
    const after = await http<{ status: string }>(api, 'GET', `/airlock/outputs/${output.id}`, { token: world.tokens.guardianA });
    assert.match(after.body.status, /reject/);
    for (const who of ['auditor', 'operator', 'partnerA'] as const) {
      const res = await http(api, 'POST', `/airlock/outputs/${output.id}/reviews`, {
        token: world.tokens[who],
        body: { decision: 'approve', reason: 'not mine' },
      });
      assert.ok(res.status === 403 || res.status === 404, `${who} reviewing got ${res.status}`);
    }
  });
});

describe('console: auditor', { skip: noBrowser }, () => {
  test('an auditor searches the trail by action and downloads an audit export', async () => {
    const page = await pageAs('auditor', '/audit');
    try {
      await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
      await page.getByLabel('Action').fill('auth.login_succeeded');
      await page.getByRole('button', { name: 'Search' }).click();
      const table = page.getByRole('region', { name: 'Audit entries, newest first' });
      await table.getByText('auth.login_succeeded').first().waitFor();
      // The unfiltered page already lists that action: wait for the filtered answer to replace it.
      let actions = await table.locator('tbody td:nth-child(3)').allTextContents();
      for (let i = 0; i < 100 && !actions.every((a) => a === 'auth.login_succeeded'); i++) {
        await new Promise((r) => setTimeout(r, 100));
        actions = await table.locator('tbody td:nth-child(3)').allTextContents();
      }
      assert.ok(actions.length > 0);
      assert.ok(
        actions.every((a) => a === 'auth.login_succeeded'),
        `only the searched action: ${actions.join(', ')}`,
      );
      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: 'Download audit export' }).click();
      const file = await download;
      const text = await readFile((await file.path())!, 'utf8');
      assert.match(text, /auth\.login_succeeded/);
      await page
        .getByTestId('flash')
        .getByText(/^Downloaded /)
        .waitFor();
    } finally {
      await page.close();
    }
  });

  test('an auditor verifies the chain', async () => {
    const page = await pageAs('auditor', '/audit/verify');
    try {
      await page.getByRole('button', { name: 'Verify now' }).click();
      await page.getByTestId('verify-result').getByText('The chain is intact.').waitFor();
    } finally {
      await page.close();
    }
  });

  test('an auditor downloads a compliance pack', async (t) => {
    if (!needRoutes(t, 'GET /compliance/report')) return;
    const page = await pageAs('auditor', '/compliance');
    try {
      await page.getByRole('button', { name: 'Download compliance pack' }).click();
      const download = page.waitForEvent('download');
      await page.getByRole('dialog', { name: 'Download the compliance pack?' }).getByRole('button', { name: 'Download' }).click();
      const file = await download;
      assert.ok(file.suggestedFilename().length > 0);
      await page
        .getByTestId('flash')
        .getByText(/^Downloaded /)
        .waitFor();
    } finally {
      await page.close();
    }
    const res = await http(api, 'GET', '/compliance/report', { token: world.tokens.guardianA });
    assert.ok(res.status === 403 || res.status === 404);
  });

  test('other roles cannot reach the audit pages or the trail', async () => {
    await expectNoAccess('guardianA', '/audit');
    await expectNoAccess('operator', '/audit');
    await expectNoAccess('partnerA', '/compliance');
    for (const who of ['guardianA', 'operator', 'partnerA'] as const) {
      const res = await http(api, 'GET', '/audit/entries', { token: world.tokens[who] });
      assert.equal(res.status, 403, `${who} reading the trail`);
    }
  });
});

describe('console: operator', { skip: noBrowser }, () => {
  test('an operator creates a partner and registers its client with a public key', async () => {
    const keys = await newClientKeys('ES256');
    const partnerName = `Console Pharma ${Date.now().toString(36)}`;
    const page = await pageAs('operator', '/partners');
    try {
      await page.getByLabel('Partner name').fill(partnerName);
      await page.getByRole('button', { name: 'Add partner' }).click();
      await page.getByTestId('flash').getByText(`Added partner ${partnerName}.`).waitFor();
      await page.getByRole('link', { name: partnerName }).click();
      await page.getByRole('heading', { name: partnerName, level: 1 }).waitFor();
      await page.getByText('This partner has no clients yet.').waitFor();
      await page.getByLabel('Client name').fill('analytics pipeline');
      await page.getByLabel('Public key (JSON)').fill(JSON.stringify(keys.publicJwk));
      await page.getByRole('button', { name: 'Register client' }).click();
      await page
        .getByTestId('flash')
        .getByText(/Registered client analytics pipeline\. Its client_id is [0-9a-f-]{36}\./)
        .waitFor();
      await page.getByRole('region', { name: 'Clients of this partner' }).getByText('analytics pipeline').waitFor();
    } finally {
      await page.close();
    }
    const partners = await http<{ id: string; name: string }[]>(api, 'GET', '/partners', { token: world.tokens.operator });
    const created = partners.body.find((p) => p.name === partnerName);
    assert.ok(created);
    const clients = await http<{ name: string; keyIds: string[] }[]>(api, 'GET', `/clients?partnerId=${created.id}`, {
      token: world.tokens.operator,
    });
    assert.deepEqual(
      clients.body.map((c) => [c.name, c.keyIds]),
      [['analytics pipeline', [keys.publicJwk.kid]]],
    );
  });

  test('other roles cannot reach the partner pages or register clients', async () => {
    await expectNoAccess('guardianA', '/partners');
    await expectNoAccess('auditor', `/partners/${world.partnerA}`);
    await expectNoAccess('partnerA', '/partners');
    const keys = await newClientKeys('ES256');
    for (const who of ['guardianA', 'auditor', 'partnerA'] as const) {
      const res = await http(api, 'POST', '/clients', {
        token: world.tokens[who],
        body: { name: 'sneaky', partnerId: world.partnerA, jwks: { keys: [keys.publicJwk] } },
      });
      assert.equal(res.status, 403, `${who} registering a client`);
    }
  });
});
