/**
 * Compute sandbox: job start latency, and records scanned per second by an aggregate over a large
 * cohort inside the sandbox against the same aggregate run natively in Node, in the same run.
 *
 *   node --import @swc-node/register/esm-register bench/compute.bench.ts [--patients 1000000] [--runs 20] [--page-size 2000]
 *
 * Start latency is submit → the job's first instruction inside the sandbox (thread started,
 * WebAssembly instantiated, engine and API set up), reported by runJob as usage.startLatencyMs.
 * The aggregate counts patients by trust, sex and birth decade. Both sides read the same in-memory
 * data source in the same pages; the native side calls the same step function on each record.
 */
import { InMemoryJobDataSource, runJob, syntheticCohort, type CohortPatient, type RunJobOptions } from '@harbour/compute';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PATIENTS = arg('patients', 1_000_000);
const RUNS = arg('runs', 20);
const PAGE_SIZE = arg('page-size', 2000);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-GB');

// One step, two runtimes: this source is the body used inside the sandbox and compiled for native.
const STEP = `
  const decade = p.birthYear === null ? 'unknown' : String(p.birthYear - (p.birthYear % 10));
  const key = p.trustCode + '|' + p.sex + '|' + decade;
  counts.set(key, (counts.get(key) ?? 0) + 1);`;
// The same source compiled by V8 for the native side.
const nativeStep = new Function('counts', 'p', STEP) as (counts: Map<string, number>, p: CohortPatient) => void;

const recordsJob = `
  export async function main(harbour) {
    const counts = new Map();
    for await (const p of harbour.cohort()) { ${STEP} }
    harbour.output.table('counts', ['key', 'n'], [...counts].sort());
  }`;
const pagesJob = `
  export async function main(harbour) {
    const counts = new Map();
    for await (const page of harbour.cohort().pages()) for (const p of page) { ${STEP} }
    harbour.output.table('counts', ['key', 'n'], [...counts].sort());
  }`;

process.stdout.write(`generating ${fmt(PATIENTS)} synthetic patients…\n`);
const dataSource = new InMemoryJobDataSource({ patients: syntheticCohort(PATIENTS, 42) });
const small = new InMemoryJobDataSource({ patients: syntheticCohort(10) });
const base = { language: 'js', declaredOutputs: ['counts'], pageSize: PAGE_SIZE } as const;
const bigLimits: RunJobOptions['limits'] = { cpuMs: 600_000, wallMs: 600_000, memoryBytes: 256 * 1024 * 1024 };

// Start latency: a job whose entry returns at once.
const latencies: number[] = [];
const walls: number[] = [];
await runJob({ ...base, code: 'export function main() {}', dataSource: small }); // load assets once
for (let i = 0; i < RUNS; i++) {
  const r = await runJob({ ...base, code: 'export function main() {}', dataSource: small });
  if (r.status !== 'succeeded' || r.usage.startLatencyMs === null) throw new Error(`trivial job ${r.status}: ${r.reason ?? ''}`);
  latencies.push(r.usage.startLatencyMs);
  walls.push(r.usage.wallMs);
}

async function sandboxed(label: string, code: string): Promise<{ label: string; ms: number; rows: string }> {
  const r = await runJob({ ...base, code, dataSource, limits: bigLimits });
  if (r.status !== 'succeeded') throw new Error(`${label}: ${r.status} ${r.reason ?? ''}`);
  const out = r.outputs[0];
  if (out?.kind !== 'table') throw new Error(`${label}: no table`);
  process.stdout.write(
    `  ${label}: cpu ${fmt(r.usage.cpuMs)} ms, engine memory peak ${fmt((r.usage.memoryPeakBytes ?? 0) / 1048576)} MiB\n`,
  );
  return { label, ms: r.usage.wallMs, rows: JSON.stringify(out.table.rows) };
}

async function native(): Promise<{ label: string; ms: number; rows: string }> {
  const started = performance.now();
  const counts = new Map<string, number>();
  for await (const page of dataSource.cohort({ pageSize: PAGE_SIZE, signal: new AbortController().signal })) {
    for (const p of page) nativeStep(counts, p);
  }
  const rows = [...counts].sort();
  return { label: 'native Node', ms: performance.now() - started, rows: JSON.stringify(rows) };
}

process.stdout.write(`scanning ${fmt(PATIENTS)} patients (pages of ${PAGE_SIZE})…\n`);
await native(); // warm the JIT so native is not penalised
const nat = await native();
const rec = await sandboxed('sandbox, for await over records', recordsJob);
const pag = await sandboxed('sandbox, for await over pages()', pagesJob);
for (const s of [rec, pag]) if (s.rows !== nat.rows) throw new Error(`${s.label}: result differs from native`);

process.stdout.write(
  `\njob start latency (submit → first job instruction), ${RUNS} runs: median ${median(latencies).toFixed(1)} ms, p90 ${pct(latencies, 0.9).toFixed(1)} ms\n`,
);
process.stdout.write(`trivial job end to end (submit → result): median ${median(walls).toFixed(1)} ms\n\n`);
process.stdout.write(`aggregate over ${fmt(PATIENTS)} patients (same result on every side):\n`);
for (const s of [nat, rec, pag]) {
  const rate = PATIENTS / (s.ms / 1000);
  const ratio = s === nat ? '' : `  (native is ${(nat.ms === 0 ? 0 : s.ms / nat.ms).toFixed(1)}× faster)`;
  process.stdout.write(`  ${s.label.padEnd(34)} ${fmt(s.ms).padStart(7)} ms  ${fmt(rate).padStart(12)} records/s${ratio}\n`);
}
