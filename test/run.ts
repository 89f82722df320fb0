/**
 * `npm test`: one PostgreSQL for the whole run (DATABASE_URL's server, or an embedded one),
 * then node's own test runner over every *.spec.ts, *.int-spec.ts and *.e2e-spec.ts file;
 * each file that needs a database creates its own (see libs/platform/testing).
 * Extra arguments filter test files by substring: `npm test -- deid-dicom`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { findProjectRoot } from '@harbour/config';
import { testServer, TEST_ADMIN_URL_ENV } from '@harbour/testing';

const root = findProjectRoot();
const SKIP_DIRS = new Set(['node_modules', 'dist', '.data', '.test-data', '.bench-data', '.git', 'coverage']);
const TEST_FILE = /\.(spec|int-spec|e2e-spec)\.ts$/;

function findTests(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (SKIP_DIRS.has(entry)) continue;
    const p = join(dir, entry);
    const st = statSync(p);
    if (st.isDirectory()) findTests(p, out);
    else if (TEST_FILE.test(entry)) out.push(relative(root, p));
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const files = findTests(root)
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  process.stdout.write('no test files matched\n0 passed, 0 failed, 0 skipped\n');
  process.exit(filters.length > 0 ? 1 : 0);
}

const server = await testServer(process.env);
const tapDir = mkdtempSync(join(tmpdir(), 'harbour-test-'));
const tapFile = join(tapDir, 'results.tap');
const concurrency = Math.max(2, Math.min(4, availableParallelism()));
const child = spawn(
  process.execPath,
  [
    '--import',
    '@swc-node/register/esm-register',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, [TEST_ADMIN_URL_ENV]: server.adminUrl, NODE_ENV: 'test', SWC_NODE_PROJECT: resolve(root, 'tsconfig.json') },
  },
);
const code: number = await new Promise((ok) => child.on('exit', (c, sig) => ok(c ?? (sig ? 1 : 0))));
await server.embedded?.stop();

const tap = (() => {
  try {
    return readFileSync(tapFile, 'utf8');
  } catch {
    return '';
  }
})();
rmSync(tapDir, { recursive: true, force: true });
const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
const skipped = count('skipped') + count('todo');
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(code !== 0 || failed > 0 ? 1 : 0);
