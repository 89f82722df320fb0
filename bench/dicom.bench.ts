/**
 * DICOM de-identification benchmark: Harbour's streaming rewriter vs a plain file copy (and
 * gdcmanon when installed), on (a) CT slices 512×512×16-bit and (b) large multi-frame files.
 *
 *   node --import @swc-node/register/esm-register bench/dicom.bench.ts [--quick]
 *
 * Data is generated deterministically under .bench-data/dicom/ (kept between runs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import { deidentifyDicomDirectory, deidentifyDicomFile } from '@harbour/deid-dicom';
import { writeDicomInstanceFile } from '../libs/synthetic/src/dicom/index.js';

const keys = deriveProjectKeys(Buffer.alloc(32, 1), 'bench');
const self = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;

// Child mode: run one job in a fresh process so its peak RSS is its own.
if (process.argv[2] === '--child') {
  const [, , , job, a, b] = process.argv;
  const t = performance.now();
  if (job === 'deid') {
    const o = await deidentifyDicomFile(a!, b!, { keys });
    if (o.status !== 'released') throw new Error(`not released: ${JSON.stringify(o)}`);
  } else await copyFile(a!, b!);
  process.stdout.write(JSON.stringify({ ms: performance.now() - t, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const quick = process.argv.includes('--quick');
const N_CT = quick ? 100 : 1000;
const MULTI_MB = quick ? [100] : [100, 300];
const root = resolve('.bench-data/dicom');
const ctDir = join(root, `ct-${N_CT}`);

interface Row {
  case: string;
  tool: string;
  files: number;
  mb: number;
  ms: number;
  rssMb?: number;
}
const rows: Row[] = [];

async function ensureCt(): Promise<number> {
  await mkdir(ctDir, { recursive: true });
  const have = new Set(await readdir(ctDir));
  let bytes = 0;
  for (let i = 0; i < N_CT; i++) {
    const name = `slice-${String(i).padStart(4, '0')}.dcm`;
    const p = join(ctDir, name);
    if (!have.has(name)) {
      await writeDicomInstanceFile(p, {
        seed: 1000 + (i % 7),
        kind: 'ct',
        rows: 512,
        columns: 512,
        instanceNumber: i + 1,
        sopInstanceUid: `1.2.826.0.1.3680043.10.1337.9.3.${i + 1}`,
      });
    }
    bytes += (await stat(p)).size;
  }
  return bytes;
}

async function ensureMulti(mb: number): Promise<string> {
  const p = join(root, `multiframe-${mb}mb.dcm`);
  if (!existsSync(p)) {
    const frameBytes = 512 * 512 * 2;
    await writeDicomInstanceFile(p, { seed: 77, kind: 'multiframe', rows: 512, columns: 512, frames: Math.ceil((mb * MB) / frameBytes) });
  }
  return p;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function child(job: 'deid' | 'copy', a: string, b: string): { ms: number; maxRssMb: number } {
  const r = spawnSync(process.execPath, ['--import', '@swc-node/register/esm-register', self, '--child', job, a, b], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { ms: number; maxRssMb: number };
}

function gdcmanon(): string | undefined {
  try {
    return execFileSync('which', ['gdcmanon'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const ctBytes = await ensureCt();
const files = (await readdir(ctDir)).sort();
const ctMb = ctBytes / MB;
console.log(`CT set: ${files.length} files, ${ctMb.toFixed(1)} MB in ${ctDir}`);

// Warm the page cache once so every contender reads from memory alike.
await time(async () => {
  for (const f of files) await copyFile(join(ctDir, f), join(root, 'warm.tmp'));
});

const copyOut = join(root, 'out-copy');
await rm(copyOut, { recursive: true, force: true });
await mkdir(copyOut, { recursive: true });
rows.push({
  case: `CT ${N_CT}×512²`,
  tool: 'fs.copyFile (sequential)',
  files: files.length,
  mb: ctMb,
  ms: await time(async () => {
    for (const f of files) await copyFile(join(ctDir, f), join(copyOut, f));
  }),
});
await rm(copyOut, { recursive: true, force: true });
await mkdir(copyOut, { recursive: true });
rows.push({
  case: `CT ${N_CT}×512²`,
  tool: 'fs.copyFile (4 concurrent)',
  files: files.length,
  mb: ctMb,
  ms: await time(async () => {
    let i = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let f = files[i++]; f !== undefined; f = files[i++]) await copyFile(join(ctDir, f), join(copyOut, f));
      }),
    );
  }),
});

const deidSeq = join(root, 'out-deid-seq');
await rm(deidSeq, { recursive: true, force: true });
await mkdir(deidSeq, { recursive: true });
rows.push({
  case: `CT ${N_CT}×512²`,
  tool: 'harbour deidentifyDicomFile (sequential)',
  files: files.length,
  mb: ctMb,
  ms: await time(async () => {
    for (const f of files) {
      const o = await deidentifyDicomFile(join(ctDir, f), join(deidSeq, f), { keys });
      if (o.status !== 'released') throw new Error(JSON.stringify(o));
    }
  }),
});
const deidDir = join(root, 'out-deid-dir');
await rm(deidDir, { recursive: true, force: true });
let summary: Awaited<ReturnType<typeof deidentifyDicomDirectory>> | undefined;
rows.push({
  case: `CT ${N_CT}×512²`,
  tool: 'harbour deidentifyDicomDirectory (4 concurrent)',
  files: files.length,
  mb: ctMb,
  ms: await time(async () => {
    summary = await deidentifyDicomDirectory(ctDir, deidDir, { keys, concurrency: 4 });
  }),
});
if (summary && summary.released !== files.length) throw new Error(`released ${summary.released}/${files.length}`);

const gdcm = gdcmanon();
if (gdcm) {
  const gOut = join(root, 'out-gdcm');
  await rm(gOut, { recursive: true, force: true });
  await mkdir(gOut, { recursive: true });
  rows.push({
    case: `CT ${N_CT}×512²`,
    tool: 'gdcmanon --dumb (per file)',
    files: files.length,
    mb: ctMb,
    ms: await time(async () => {
      for (const f of files)
        execFileSync(gdcm, ['--dumb', '--empty', '10,10', '--remove', '10,20', '-i', join(ctDir, f), '-o', join(gOut, f)]);
    }),
  });
  rows.push({
    case: `CT ${N_CT}×512²`,
    tool: 'gdcmanon --dumb -r (one process)',
    files: files.length,
    mb: ctMb,
    ms: await time(async () => {
      execFileSync(gdcm, ['--dumb', '-r', '--empty', '10,10', '--remove', '10,20', '-i', ctDir, '-o', gOut]);
    }),
  });
}

for (const mb of MULTI_MB) {
  const src = await ensureMulti(mb);
  const size = (await stat(src)).size / MB;
  const out = join(root, `out-multi-${mb}.dcm`);
  const c = child('copy', src, out);
  rows.push({ case: `multi-frame ${size.toFixed(0)} MB`, tool: 'fs.copyFile', files: 1, mb: size, ms: c.ms, rssMb: c.maxRssMb });
  const d = child('deid', src, out);
  rows.push({
    case: `multi-frame ${size.toFixed(0)} MB`,
    tool: 'harbour deidentifyDicomFile',
    files: 1,
    mb: size,
    ms: d.ms,
    rssMb: d.maxRssMb,
  });
  if (gdcm) {
    const t = await time(async () => execFileSync(gdcm, ['--dumb', '--empty', '10,10', '-i', src, '-o', out]));
    rows.push({ case: `multi-frame ${size.toFixed(0)} MB`, tool: 'gdcmanon --dumb', files: 1, mb: size, ms: t });
  }
  await rm(out, { force: true });
}
await rm(join(root, 'warm.tmp'), { force: true });

const table = rows.map((r) => ({
  case: r.case,
  tool: r.tool,
  'files/s': ((r.files * 1000) / r.ms).toFixed(1),
  'MB/s': ((r.mb * 1000) / r.ms).toFixed(0),
  'time s': (r.ms / 1000).toFixed(2),
  'peak RSS MB': r.rssMb === undefined ? '' : r.rssMb.toFixed(0),
}));
console.table(table);
const ratio = (a: string, b: string): string => {
  const x = rows.find((r) => r.tool === a && r.case.startsWith('CT'));
  const y = rows.find((r) => r.tool === b && r.case.startsWith('CT'));
  return x && y ? (y.ms / x.ms).toFixed(2) : 'n/a';
};
console.log(
  `de-id/copy throughput, sequential: ${ratio('harbour deidentifyDicomFile (sequential)', 'fs.copyFile (sequential)')}; concurrent: ${ratio('harbour deidentifyDicomDirectory (4 concurrent)', 'fs.copyFile (4 concurrent)')} (target ≥ 0.5)`,
);
if (!gdcm) console.log('gdcmanon not installed (apt-get install libgdcm-tools to compare)');
