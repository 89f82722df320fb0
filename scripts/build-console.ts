/**
 * Build the console (apps/console, Vite + React) into apps/console/dist, which the API serves
 * at /console. Run by `npm install` (postinstall), `npm start` (prestart), the browser tests and
 * `npm run build:console`.
 *
 *   --if-stale   skip when dist is newer than every source file
 *   --optional   never fail (install and start must work without the console toolchain,
 *                e.g. `npm install --omit=dev`): print why and exit 0
 *   --no-check   skip the TypeScript check (tsc --noEmit -p apps/console)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const consoleDir = join(root, 'apps/console');
const dist = join(consoleDir, 'dist');
const stamp = join(dist, 'index.html');

function newestMtime(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(p)) if (e !== 'dist' && e !== 'node_modules') newest = Math.max(newest, newestMtime(join(p, e)));
  return newest;
}

/** True when dist/index.html is older than any console source (or the lockfile: new React/Vite). */
export function consoleIsStale(): boolean {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  const lock = join(root, 'package-lock.json');
  return newestMtime(consoleDir) > built || (existsSync(lock) && statSync(lock).mtimeMs > built);
}

/** Build the console; returns false (with a message) when it cannot. */
export async function buildConsole(opts: { ifStale?: boolean; check?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  const say = (s: string): void => {
    if (!opts.quiet) process.stdout.write(`${s}\n`);
  };
  if (opts.ifStale && !consoleIsStale()) {
    say('console: up to date (apps/console/dist)');
    return true;
  }
  const require = createRequire(join(root, 'package.json'));
  let vitePath: string;
  try {
    vitePath = require.resolve('vite');
    require.resolve('react');
  } catch {
    say('console: not built: vite/react are not installed (dev dependencies). Run `npm install` to get them.');
    return false;
  }
  if (opts.check !== false) {
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', join(consoleDir, 'tsconfig.json')], { stdio: 'inherit' });
    if (r.status !== 0) {
      say('console: type errors (see above); not built');
      return false;
    }
  }
  const started = Date.now();
  const vite = (await import(vitePath)) as typeof import('vite');
  // The test runner sets NODE_ENV=test, which would bundle React's development build.
  process.env['NODE_ENV'] = 'production';
  await vite.build({
    root: consoleDir,
    configFile: join(consoleDir, 'vite.config.ts'),
    logLevel: opts.quiet ? 'error' : 'warn',
    mode: 'production',
  });
  say(`console: built into apps/console/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = new Set(process.argv.slice(2));
  const optional = args.has('--optional');
  try {
    const ok = await buildConsole({ ifStale: args.has('--if-stale'), check: !args.has('--no-check') });
    process.exitCode = ok || optional ? 0 : 1;
  } catch (err) {
    process.stderr.write(`console: build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = optional ? 0 : 1;
  }
}
