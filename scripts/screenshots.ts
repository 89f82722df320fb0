/**
 * `npm run screenshots`: screenshots of the console's main pages, for a reviewer, into
 * `screenshots/` (git-ignored). Starts a throw-away station (fresh database, like the e2e tests),
 * creates a user of every role and a little data through the HTTP API, then signs in as each
 * role in headless Chromium at a laptop size (1366×900) and captures each page.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testServer, TEST_ADMIN_URL_ENV } from '@harbour/testing';
import { startTestApi } from '../test/support/api.js';
import { createWorld, http, TEST_PASSWORD, type World } from '../test/support/identity.js';
import { browserSkipReason, ensureConsoleBuilt, launchBrowser, signIn, stationRoutes } from '../test/e2e/console-harness.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const out = join(root, 'screenshots');

const skip = browserSkipReason();
if (skip) {
  console.error(`screenshots: ${skip}`);
  process.exit(1);
}
if (!(await ensureConsoleBuilt())) {
  console.error('screenshots: the console did not build (npm run build:console)');
  process.exit(1);
}
mkdirSync(out, { recursive: true });

const server = await testServer(process.env);
process.env[TEST_ADMIN_URL_ENV] = server.adminUrl;
const api = await startTestApi();
const browser = await launchBrowser({ viewport: { width: 1366, height: 900 } });
const taken: string[] = [];
try {
  const world = await createWorld(api);
  const routes = await stationRoutes(api.baseUrl);
  let requestId: string | undefined;
  if (routes.has('POST /access-requests')) {
    const created = await http<{ request: { id: string } }>(api, 'POST', '/access-requests', {
      token: world.tokens.partnerA,
      body: {
        title: 'Outcomes after hip replacement',
        purpose: 'Compare outcomes after hip replacement across trusts for a registry study.',
        laySummary: 'We want to learn which hip operations help people recover best.',
        legalBasisArt6: '6(1)(e)',
        legalBasisArt9: '9(2)(j)',
        commercialUse: true,
        duoCodes: ['DUO:0000007'],
        trustIds: [world.trustA, world.trustB],
        requestedData: { ehrResourceTypes: ['Patient', 'Condition', 'Procedure'], imagingModalities: ['CT'] },
        deidentification: { ehrProfile: 'harbour-ehr-default', dicomOptions: ['retainPatientCharacteristics'] },
        requestedDurationDays: 365,
      },
    });
    requestId = created.body?.request?.id;
    if (requestId) await http(api, 'POST', `/access-requests/${requestId}/submit`, { token: world.tokens.partnerA });
  }

  const shots: {
    user: keyof World['users'];
    name: string;
    path: string;
    prepare?: (p: import('playwright-core').Page) => Promise<void>;
  }[] = [
    { user: 'guardianA', name: '01-guardian-overview', path: '/' },
    { user: 'guardianA', name: '02-guardian-requests', path: '/requests' },
    ...(requestId ? [{ user: 'guardianA' as const, name: '03-guardian-request-decision', path: `/requests/${requestId}` }] : []),
    { user: 'guardianA', name: '04-guardian-projects', path: '/projects' },
    { user: 'guardianA', name: '05-guardian-airlock', path: '/airlock' },
    { user: 'guardianA', name: '06-guardian-quarantine', path: '/quarantine' },
    { user: 'guardianA', name: '07-guardian-opt-outs', path: '/opt-outs' },
    { user: 'guardianA', name: '08-guardian-revenue', path: '/revenue' },
    { user: 'auditor', name: '10-auditor-overview-activity-chart', path: '/' },
    { user: 'auditor', name: '11-auditor-audit-trail', path: '/audit' },
    {
      user: 'auditor',
      name: '12-auditor-verify',
      path: '/audit/verify',
      prepare: async (p) => {
        await p.getByRole('button', { name: 'Verify now' }).click();
        await p.getByTestId('verify-result').waitFor();
      },
    },
    { user: 'auditor', name: '13-auditor-compliance', path: '/compliance' },
    { user: 'operator', name: '20-operator-overview', path: '/' },
    { user: 'operator', name: '21-operator-trusts', path: '/trusts' },
    { user: 'operator', name: '22-operator-partners', path: '/partners' },
    { user: 'operator', name: '23-operator-partner-clients', path: `/partners/${world.partnerA}` },
    { user: 'operator', name: '24-operator-users', path: '/users' },
    { user: 'operator', name: '25-operator-ingestion', path: '/ingestion' },
    { user: 'operator', name: '26-operator-keys', path: '/keys' },
    { user: 'operator', name: '27-operator-health', path: '/health' },
    { user: 'operator', name: '28-operator-no-access-to-audit', path: '/audit' },
    { user: 'partnerA', name: '30-partner-overview', path: '/' },
    { user: 'partnerA', name: '31-partner-requests', path: '/requests' },
    { user: 'partnerA', name: '32-partner-projects', path: '/projects' },
  ];
  // The sign-in page first, signed out.
  const login = await browser.newPage();
  await login.goto(`${api.baseUrl}/console/`);
  await login.getByRole('heading', { name: 'Sign in' }).waitFor();
  await login.screenshot({ path: join(out, '00-sign-in.png'), fullPage: true });
  taken.push('00-sign-in.png');
  await login.close();

  for (const s of shots) {
    const page = await browser.newPage();
    await signIn(page, api.baseUrl, world.users[s.user].username, TEST_PASSWORD, s.path);
    await page.waitForLoadState('networkidle');
    await page
      .locator('.loading')
      .first()
      .waitFor({ state: 'detached', timeout: 10_000 })
      .catch(() => undefined);
    if (s.prepare) await s.prepare(page);
    await page.screenshot({ path: join(out, `${s.name}.png`), fullPage: true });
    taken.push(`${s.name}.png`);
    await page.close();
  }
  console.log(`screenshots: ${taken.length} pages in ${out}\n${taken.map((t) => `  ${t}`).join('\n')}`);
} finally {
  await browser.close();
  await api.close();
  await server.embedded?.stop();
}
