/**
 * `npm run bench <name> [-- args]`: runs bench/<name>.bench.ts in its own process (so peak memory
 * is the benchmark's own). `npm run bench` alone lists them. Benchmarks generate their synthetic
 * data under .bench-data/ (git-ignored) and print what they measured; targets live here, never
 * in timed tests.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  process.stdout.write(`usage: npm run bench <name> [-- args]\nbenchmarks: ${names.join(', ')}\n`);
  process.exit(name ? 2 : 0);
}
const res = spawnSync(
  process.execPath,
  ['--expose-gc', '--import', '@swc-node/register/esm-register', join(dir, `${name}.bench.ts`), ...args],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
