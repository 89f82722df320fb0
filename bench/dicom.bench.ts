/**
 * DICOM de-identification benchmark: Harbour's streaming rewriter against a plain copy of the same
 * files and, when installed, Debian's gdcmanon (package libgdcm-tools), on (a) CT slices
 * 512×512×16-bit and (b) large multi-frame files.
 *
 *   npm run bench dicom [-- --quick] [--rounds N] [--rounds-detail]
 *
 * Like is compared with like: Harbour's sequential file API with a sequential fs.copyFile, and the
 * directory API (what `harbour deid dicom` runs, 4 files in flight by default) with fs.copyFile at
 * the same concurrency. Every CT contender runs `rounds` times (default 3) in turn, each round
 * starting with the next contender, and the table gives the median with the range, so noise shows
 * (`--rounds-detail` lists every round). Each timing starts after `sync`, so nobody pays
 * for the previous contender's write-back. In-process rows share one Node process (Harbour's first
 * round includes JIT warm-up); "fresh process" rows start a new process per round and report its
 * peak RSS, as do gdcmanon (through /usr/bin/time) and the multi-frame rows. Data is generated
 * deterministically under .bench-data/dicom/ and kept between runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import { deidentifyDicomDirectory, deidentifyDicomFile } from '@harbour/deid-dicom';
import { writeDicomInstanceFile } from '../libs/synthetic/src/dicom/index.js';

const keys = deriveProjectKeys(Buffer.alloc(32, 1), 'bench');
const self = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;
/** deidentifyDicomDirectory's default (and the CLI's `--concurrency` default). */
const DIR_CONCURRENCY = 4;

async function copyConcurrently(files: readonly string[], from: string, to: string, n: number): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let f = files[i++]; f !== undefined; f = files[i++]) await copyFile(join(from, f), join(to, f));
    }),
  );
}

// Child mode: one job in a fresh process, so its peak RSS is its own.
if (process.argv[2] === '--child') {
  const [, , , job, a, b] = process.argv;
  const t = performance.now();
  if (job === 'deid-file') {
    const o = await deidentifyDicomFile(a!, b!, { keys });
    if (o.status !== 'released') throw new Error(`not released: ${JSON.stringify(o)}`);
  } else if (job === 'deid-dir') {
    const s = await deidentifyDicomDirectory(a!, b!, { keys });
    if (s.rejected + s.quarantined > 0) throw new Error(`not all released: ${JSON.stringify(s.byCode)}`);
  } else if (job === 'copy-dir') {
    await mkdir(b!, { recursive: true });
    await copyConcurrently((await readdir(a!)).sort(), a!, b!, DIR_CONCURRENCY);
  } else await copyFile(a!, b!);
  process.stdout.write(JSON.stringify({ ms: performance.now() - t, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const roundsArg = args.indexOf('--rounds');
const ROUNDS = roundsArg >= 0 ? Number(args[roundsArg + 1]) : quick ? 1 : 3;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds takes a positive integer');
const N_CT = quick ? 100 : 1000;
const MULTI_MB = quick ? [100] : [100, 300];
/** gdcmanon one process per file starts 1000 processes; its rate is measured on the first files only. */
const N_PER_PROCESS = quick ? 50 : 200;
const root = resolve('.bench-data/dicom');
const ctDir = join(root, `ct-${N_CT}`);

interface Row {
  case: string;
  tool: string;
  files: number;
  mb: number;
  /** Milliseconds per round. */
  ms: number[];
  /** Peak RSS per round, when measured in its own process. */
  rssMb?: number[];
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

function which(cmd: string): string | undefined {
  try {
    return execFileSync('which', [cmd], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Flush dirty pages, so the next contender does not pay for the previous one's write-back. */
function flush(): void {
  execFileSync('sync');
}

async function freshDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  flush();
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

function child(job: 'deid-file' | 'copy-file' | 'deid-dir' | 'copy-dir', a: string, b: string): { ms: number; maxRssMb: number } {
  const r = spawnSync(process.execPath, ['--import', '@swc-node/register/esm-register', self, '--child', job, a, b], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as { ms: number; maxRssMb: number };
}

const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Run an external command; wall time, and its peak RSS when /usr/bin/time is there. */
async function external(cmd: string, cmdArgs: readonly string[]): Promise<{ ms: number; maxRssMb?: number }> {
  const rssFile = join(root, 'time-rss.txt');
  const t = performance.now();
  if (timeBin) execFileSync(timeBin, ['-f', '%M', '-o', rssFile, cmd, ...cmdArgs], { stdio: 'ignore' });
  else execFileSync(cmd, cmdArgs, { stdio: 'ignore' });
  const ms = performance.now() - t;
  if (!timeBin) return { ms };
  const kb = Number((await readFile(rssFile, 'utf8')).trim().split('\n').pop());
  return { ms, ...(Number.isFinite(kb) ? { maxRssMb: kb / 1024 } : {}) };
}

const ctBytes = await ensureCt();
const files = (await readdir(ctDir)).filter((f) => f.endsWith('.dcm')).sort();
const ctMb = ctBytes / MB;
const ctCase = `CT ${N_CT}×512²`;
const gdcm = which('gdcmanon');
const openssl = which('openssl');
process.stdout.write(
  `CT set: ${files.length} files, ${ctMb.toFixed(1)} MB in ${ctDir}; ${ROUNDS} round(s)` +
    `${gdcm ? `; ${execFileSync(gdcm, ['--version'], { encoding: 'utf8' }).trim()}` : ''}\n`,
);

// Warm the page cache once so every contender reads from memory alike.
for (const f of files) await readFile(join(ctDir, f));

// gdcmanon's full mode (-e: Basic Profile, original values encrypted into the output) needs a certificate.
let cert: string | undefined;
if (gdcm && openssl) {
  cert = join(root, 'gdcmanon-cert.pem');
  const key = join(root, 'gdcmanon-key.pem');
  if (!existsSync(cert))
    execFileSync(
      openssl,
      ['req', '-x509', '-newkey', 'rsa:2048', '-keyout', key, '-out', cert, '-days', '3650', '-nodes', '-subj', '/CN=harbour-bench'],
      { stdio: 'ignore' },
    );
}

/** What a contender may report about itself: its own timing (fresh processes) and peak RSS. */
interface Measured {
  ms?: number;
  rssMb?: number;
}
interface Contender {
  tool: string;
  files?: number;
  run: (out: string) => Promise<Measured | void>;
}

const contenders: Contender[] = [
  {
    tool: 'fs.copyFile (sequential)',
    run: async (out) => {
      for (const f of files) await copyFile(join(ctDir, f), join(out, f));
    },
  },
  {
    tool: `fs.copyFile (${DIR_CONCURRENCY} concurrent)`,
    run: (out) => copyConcurrently(files, ctDir, out, DIR_CONCURRENCY),
  },
  {
    tool: 'harbour deidentifyDicomFile (sequential)',
    run: async (out) => {
      for (const f of files) {
        const o = await deidentifyDicomFile(join(ctDir, f), join(out, f), { keys });
        if (o.status !== 'released') throw new Error(JSON.stringify(o));
      }
    },
  },
  {
    tool: `harbour deidentifyDicomDirectory (${DIR_CONCURRENCY} concurrent)`,
    run: async (out) => {
      const s = await deidentifyDicomDirectory(ctDir, out, { keys });
      if (s.released !== files.length) throw new Error(`released ${s.released}/${files.length}`);
    },
  },
  ...(gdcm
    ? [
        {
          tool: 'gdcmanon --dumb -r (one process)',
          run: async (out: string) => {
            const r = await external(gdcm, ['--dumb', '-r', '--empty', '10,10', '--remove', '10,20', '-i', ctDir, '-o', out]);
            return { rssMb: r.maxRssMb };
          },
        },
        ...(cert
          ? [
              {
                tool: 'gdcmanon -e -r (Basic Profile, one process)',
                run: async (out: string) => {
                  const r = await external(gdcm, ['-e', '-r', '-c', cert!, '-i', ctDir, '-o', out]);
                  return { rssMb: r.maxRssMb };
                },
              },
            ]
          : []),
        {
          tool: `gdcmanon --dumb (one process per file, first ${N_PER_PROCESS})`,
          files: Math.min(N_PER_PROCESS, files.length),
          run: async (out: string) => {
            for (const f of files.slice(0, N_PER_PROCESS))
              execFileSync(gdcm, ['--dumb', '--empty', '10,10', '--remove', '10,20', '-i', join(ctDir, f), '-o', join(out, f)]);
          },
        },
      ]
    : []),
  {
    tool: `harbour deidentifyDicomDirectory (fresh process)`,
    run: (out) => {
      const c = child('deid-dir', ctDir, out);
      return Promise.resolve({ ms: c.ms, rssMb: c.maxRssMb });
    },
  },
  {
    tool: `fs.copyFile (${DIR_CONCURRENCY} concurrent, fresh process)`,
    run: (out) => {
      const c = child('copy-dir', ctDir, out);
      return Promise.resolve({ ms: c.ms, rssMb: c.maxRssMb });
    },
  },
];

const ctRows = new Map<Contender, Row>();
for (const c of contenders) {
  const row: Row = {
    case: ctCase,
    tool: c.tool,
    files: c.files ?? files.length,
    mb: ((c.files ?? files.length) / files.length) * ctMb,
    ms: [],
  };
  ctRows.set(c, row);
  rows.push(row);
}
const out = join(root, 'out-ct');
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with the next contender, so none always runs first (cold) or after the same one.
  const order = [...contenders.slice(round % contenders.length), ...contenders.slice(0, round % contenders.length)];
  for (const c of order) {
    const row = ctRows.get(c)!;
    await freshDir(out);
    const { ms, value } = await timed(() => c.run(out));
    // A fresh process times itself, without Node start-up and module loading.
    row.ms.push(value?.ms ?? ms);
    if (value?.rssMb !== undefined) (row.rssMb ??= []).push(value.rssMb);
  }
}
await rm(out, { recursive: true, force: true });

const multiDeidRows: Row[] = [];
for (const mb of MULTI_MB) {
  const src = await ensureMulti(mb);
  const size = (await stat(src)).size / MB;
  const label = `multi-frame ${size.toFixed(0)} MB`;
  const copyRow: Row = { case: label, tool: 'fs.copyFile (fresh process)', files: 1, mb: size, ms: [], rssMb: [] };
  const deidRow: Row = { case: label, tool: 'harbour deidentifyDicomFile (fresh process)', files: 1, mb: size, ms: [], rssMb: [] };
  const gdcmRow: Row = { case: label, tool: 'gdcmanon --dumb', files: 1, mb: size, ms: [], rssMb: [] };
  rows.push(copyRow, deidRow, ...(gdcm ? [gdcmRow] : []));
  multiDeidRows.push(deidRow);
  const dst = join(root, `out-multi-${mb}.dcm`);
  // Warm the page cache, as for the CT set (a stream: the file is never held whole here either).
  for await (const chunk of createReadStream(src, { highWaterMark: MB })) void chunk;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [row, job] of [
      [copyRow, 'copy-file'],
      [deidRow, 'deid-file'],
    ] as const) {
      await rm(dst, { force: true });
      flush();
      const c = child(job, src, dst);
      row.ms.push(c.ms);
      row.rssMb!.push(c.maxRssMb);
    }
    if (gdcm) {
      await rm(dst, { force: true });
      flush();
      const r = await external(gdcm, ['--dumb', '--empty', '10,10', '-i', src, '-o', dst]);
      gdcmRow.ms.push(r.ms);
      if (r.maxRssMb !== undefined) gdcmRow.rssMb!.push(r.maxRssMb);
    }
  }
  await rm(dst, { force: true });
}
await rm(join(root, 'time-rss.txt'), { force: true });

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const rate = (r: Row, ms: number): number => (r.files * 1000) / ms;
const table = rows.map((r) => ({
  case: r.case,
  tool: r.tool,
  'files/s': rate(r, median(r.ms)).toFixed(1),
  'MB/s': ((r.mb * 1000) / median(r.ms)).toFixed(0),
  'files/s range': r.ms.length > 1 ? `${rate(r, Math.max(...r.ms)).toFixed(0)}–${rate(r, Math.min(...r.ms)).toFixed(0)}` : '',
  'peak RSS MB': r.rssMb?.length ? Math.max(...r.rssMb).toFixed(0) : '',
}));
console.table(table);
if (args.includes('--rounds-detail')) {
  for (const r of rows) process.stdout.write(`${r.case} | ${r.tool}: ${r.ms.map((m) => rate(r, m).toFixed(0)).join(' ')} files/s\n`);
}

const find = (tool: string, kase = ctCase): Row | undefined => rows.find((r) => r.tool === tool && r.case === kase);
const ratio = (a: string, b: string): string => {
  const x = find(a);
  const y = find(b);
  return x && y ? (rate(x, median(x.ms)) / rate(y, median(y.ms))).toFixed(2) : 'n/a';
};
const lines = [
  `${ctCase}, medians of ${ROUNDS} round(s):`,
  `  sequential   harbour deidentifyDicomFile / fs.copyFile: ${ratio('harbour deidentifyDicomFile (sequential)', 'fs.copyFile (sequential)')} (target ≥ 0.5)`,
  `  concurrent   harbour deidentifyDicomDirectory / fs.copyFile, both ${DIR_CONCURRENCY} in flight: ${ratio(`harbour deidentifyDicomDirectory (${DIR_CONCURRENCY} concurrent)`, `fs.copyFile (${DIR_CONCURRENCY} concurrent)`)} (target ≥ 0.5)`,
];
if (gdcm) {
  lines.push(
    `  vs gdcmanon  harbour deidentifyDicomDirectory / gdcmanon --dumb -r: ${ratio(`harbour deidentifyDicomDirectory (${DIR_CONCURRENCY} concurrent)`, 'gdcmanon --dumb -r (one process)')} (target ≥ 1)`,
  );
} else lines.push('  gdcmanon not installed (apt-get install libgdcm-tools to compare)');
const deidRss = multiDeidRows.map((r) => `${r.mb.toFixed(0)} MB → ${Math.max(...r.rssMb!).toFixed(0)} MB`);
lines.push(`multi-frame peak RSS, harbour: ${deidRss.join(', ')} (target: does not grow with file size)`);
process.stdout.write(`${lines.join('\n')}\n`);
