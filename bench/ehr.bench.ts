/**
 * EHR de-identification benchmark.
 *
 *   node --import @swc-node/register/esm-register bench/ehr.bench.ts [--patients N] [--sizes 25000,100000]
 *
 * Generates a synthetic FHIR NDJSON extract under .bench-data/ (kept between runs), then runs
 * parse + validate + de-identify (deidentifyEhrDirectory, output to files) in a fresh single
 * process per size, reporting resources/s and peak RSS. Running two sizes shows whether memory
 * stays flat as the extract grows (only the compact patient index grows, ~50 bytes per patient).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import { deidentifyEhrDirectory } from '@harbour/deid-ehr';
import { writeFhirNdjsonExtract } from '../libs/synthetic/src/fhir/index.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve('.bench-data');
const self = fileURLToPath(import.meta.url);

async function generate(n: number): Promise<string> {
  const dir = join(root, `ehr-${n}`, 'in');
  const marker = join(root, `ehr-${n}`, 'generated.json');
  if (!existsSync(marker)) {
    await rm(dir, { recursive: true, force: true });
    const t = Date.now();
    const s = await writeFhirNdjsonExtract(dir, 'bench', n);
    await writeFile(marker, JSON.stringify({ ...s, ms: Date.now() - t }));
  }
  return dir;
}

async function child(n: number): Promise<void> {
  const inDir = await generate(n);
  const outDir = join(root, `ehr-${n}`, 'out');
  await rm(outDir, { recursive: true, force: true });
  const keys = deriveProjectKeys(Buffer.alloc(32, 3), 'bench');
  let sampledPeak = 0;
  const timer = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
  }, 100);
  const t = process.hrtime.bigint();
  const r = await deidentifyEhrDirectory(inDir, outDir, { keys });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  clearInterval(timer);
  const resources = r.files.reduce((a, f) => a + f.records, 0);
  const out = {
    patients: n,
    resources,
    written: Object.values(r.written).reduce((a, b) => a + b, 0),
    rejected: r.rejected,
    seconds: Math.round(seconds * 10) / 10,
    resourcesPerSecond: Math.round(resources / seconds),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    sampledPeakRssMiB: Math.round(sampledPeak / 1048576),
    generation: JSON.parse(await readFile(join(root, `ehr-${n}`, 'generated.json'), 'utf8')) as { total: number; ms: number },
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (args.includes('--child-generate')) {
  await generate(Number(arg('--patients')));
} else if (args.includes('--child')) {
  await child(Number(arg('--patients')));
} else {
  const sizes = (arg('--sizes') ?? (arg('--patients') ? `${arg('--patients')}` : '25000,100000')).split(',').map(Number);
  for (const n of sizes) {
    // generation in its own process, so its memory does not count against the run
    const gen = spawnSync(process.execPath, [...process.execArgv, self, '--child-generate', '--patients', String(n)], { stdio: 'inherit' });
    if (gen.status !== 0) process.exit(gen.status ?? 1);
    const res = spawnSync(process.execPath, [...process.execArgv, self, '--child', '--patients', String(n)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (res.status !== 0) process.exit(res.status ?? 1);
    const o = JSON.parse(res.stdout.trim().split('\n').pop()!) as Record<string, unknown> & { generation: { total: number; ms: number } };
    process.stdout.write(
      `patients=${o.patients} resources=${o.resources} written=${o.written} rejected=${o.rejected} time=${o.seconds}s ` +
        `rate=${o.resourcesPerSecond} resources/s peakRSS=${o.peakRssMiB} MiB (generated ${o.generation.total} in ${Math.round(o.generation.ms / 1000)}s)\n`,
    );
  }
}
