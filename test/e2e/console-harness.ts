/**
 * Browser harness for the console's e2e tests and `npm run screenshots`: builds the console
 * once (skipped when apps/console/dist is newer than its sources), and drives Debian's
 * Chromium with playwright-core (`npx playwright install` cannot download browsers here).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { buildConsole } from '../../scripts/build-console.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a closed network: no background connections, no component updates, no sandbox (root in CI). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) to run the console's browser tests`;
}

let built: Promise<boolean> | undefined;
/** Build the console once per process, only when its sources changed. */
export function ensureConsoleBuilt(): Promise<boolean> {
  built ??= buildConsole({ ifStale: true, check: false, quiet: true });
  return built;
}

export interface Browser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh, empty user-data-dir (removed on close). */
export async function launchBrowser(opts: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'harbour-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1366, height: 900 },
    acceptDownloads: true,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Sign in through the console's own form, as a person would. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string, path = '/'): Promise<void> {
  await page.goto(`${baseUrl}/console${path}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  try {
    await page.getByTestId('whoami').waitFor();
  } catch (err) {
    const alert = await page
      .getByRole('alert')
      .allTextContents()
      .catch(() => []);
    throw new Error(`sign-in as ${username} did not complete${alert.length ? `: ${alert.join(' ')}` : ''}`, { cause: err });
  }
}

/** Routes a station offers now (other modules land while the console is built). */
export async function stationRoutes(baseUrl: string): Promise<Set<string>> {
  const doc = (await (await fetch(`${baseUrl}/docs-json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const out = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) out.add(`${m.toUpperCase()} ${path}`);
  return out;
}
