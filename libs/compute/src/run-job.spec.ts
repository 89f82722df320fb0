import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { makePng } from './airlock/png-fixture.js';
import { InMemoryJobDataSource, syntheticCohort } from './in-memory-data-source.js';
import { jobCodeSha256 } from './job-code.js';
import type { JobDataSource, PageRequest } from './data-source.js';
import type { JobOutput, RunJobOptions } from './job.types.js';
import { runJob } from './run-job.js';
import { QUICKJS_ENGINE_VERSION, QUICKJS_VARIANT } from './sandbox/sandbox-assets.js';

const patients = syntheticCohort(1234, 7);
const dataSource = new InMemoryJobDataSource({
  patients,
  resources: [
    { resourceType: 'Observation', subject: { reference: 'Patient/HBR-AAAAAAAAAAAAAAAA' }, valueQuantity: { value: 5.1 } },
    { resourceType: 'Observation', subject: { reference: 'Patient/HBR-BBBBBBBBBBBBBBBB' }, valueQuantity: { value: 6.3 } },
    { resourceType: 'Condition', code: { text: 'asthma' } },
  ],
  studies: [
    {
      studyInstanceUid: '2.25.1',
      patientPseudonym: 'HBR-AAAAAAAAAAAAAAAA',
      studyDate: '2020-01-02',
      modalities: ['CT'],
      series: [
        { seriesInstanceUid: '2.25.2', modality: 'CT', bodyPart: 'CHEST', instances: [{ sopInstanceUid: '2.25.3', rows: 2, columns: 2 }] },
      ],
    },
  ],
  pixels: new Map([['2.25.3', new Uint8Array([1, 2, 3, 4])]]),
});

const run = (code: string, extra: Partial<RunJobOptions> = {}) =>
  runJob({ code, language: 'js', declaredOutputs: ['out'], dataSource, limits: { cpuMs: 5000, wallMs: 10_000 }, ...extra });

function output(outputs: readonly JobOutput[], name: string): JobOutput {
  const o = outputs.find((x) => x.name === name);
  assert.ok(o, `output ${name} missing`);
  return o;
}

test('a JavaScript job aggregates the cohort into a table', async () => {
  const code = `
    export async function main(harbour) {
      const bySex = new Map();
      for await (const p of harbour.cohort()) bySex.set(p.sex, (bySex.get(p.sex) ?? 0) + 1);
      const rows = [...bySex].sort((a, b) => a[0].localeCompare(b[0]));
      harbour.output.table('out', ['sex', 'count'], rows);
    }`;
  const result = await run(code);
  assert.equal(result.status, 'succeeded', result.reason);
  const expected = new Map<string, number>();
  for (const p of patients) expected.set(p.sex, (expected.get(p.sex) ?? 0) + 1);
  const out = output(result.outputs, 'out');
  assert.equal(out.kind, 'table');
  if (out.kind !== 'table') return;
  assert.deepEqual(out.table.columns, ['sex', 'count']);
  assert.deepEqual(new Map(out.table.rows.map((r) => [r[0] as string, r[1] as number])), expected);
  assert.equal(out.mime, 'text/csv; charset=utf-8');
  assert.ok(Buffer.from(out.bytes).toString('utf8').startsWith('sex,count\r\n'));
  assert.match(out.sha256, /^[0-9a-f]{64}$/);
  assert.equal(result.usage.recordsRead, patients.length);
  assert.equal(result.usage.patientsRead, patients.length);
  assert.equal(result.codeSha256, jobCodeSha256(code));
  assert.ok(result.usage.startLatencyMs !== null && result.usage.startLatencyMs > 0);
  assert.ok(result.usage.memoryPeakBytes !== null && result.usage.memoryPeakBytes >= 16 * 1024 * 1024);
});

test('a TypeScript job has its types stripped and runs; pages() and params work', async () => {
  const code = `
    interface Params { minYear: number }
    type Row = [string, number];
    export default async function (harbour: { params: Params; cohort(): any; output: any }): Promise<void> {
      let n: number = 0;
      for await (const page of harbour.cohort().pages() as AsyncIterable<{ birthYear: number | null }[]>) {
        for (const p of page) if ((p.birthYear ?? 0) >= harbour.params.minYear) n++;
      }
      const row: Row = ['born since', n];
      harbour.output.table('out', ['label', 'patients'], [row]);
    }`;
  const result = await run(code, { language: 'ts', params: { minYear: 1980 } });
  assert.equal(result.status, 'succeeded', result.reason);
  const out = output(result.outputs, 'out');
  assert.ok(out.kind === 'table');
  assert.deepEqual(out.table.rows, [['born since', patients.filter((p) => (p.birthYear ?? 0) >= 1980).length]]);
  assert.equal(result.language, 'ts');
  assert.equal(result.entry, 'default');
  assert.equal(result.codeSha256, jobCodeSha256(code));
});

test('a named entry, FHIR resources by type, DICOM metadata and pixels, and every output kind', async () => {
  const png = [...makePng(8, 4)];
  const code = `
    export async function analyse(h) {
      let obs = 0, sum = 0;
      await h.resources('Observation').forEach((r) => { obs++; sum += r.valueQuantity.value; });
      const studies = [];
      for await (const s of h.dicom.studies()) studies.push(s.modalities.join('/'));
      const px = await h.dicom.pixels('2.25.3');
      const none = await h.dicom.pixels('9.9.9');
      h.output.json('summary', { obs, sum, studies, pixelBytes: px.length, pixelSum: px.reduce((a, b) => a + b, 0), none });
      h.output.text('notes', 'two observations');
      h.output.png('chart', new Uint8Array(${JSON.stringify(png)}));
    }`;
  const result = await run(code, { entry: 'analyse', declaredOutputs: ['summary', { name: 'notes', kind: 'text' }, 'chart'] });
  assert.equal(result.status, 'succeeded', result.reason);
  const summary = output(result.outputs, 'summary');
  assert.ok(summary.kind === 'json');
  assert.deepEqual(summary.value, { obs: 2, sum: 11.399999999999999, studies: ['CT'], pixelBytes: 4, pixelSum: 10, none: null });
  const notes = output(result.outputs, 'notes');
  assert.ok(notes.kind === 'text');
  assert.equal(notes.text, 'two observations');
  const chart = output(result.outputs, 'chart');
  assert.equal(chart.kind, 'png');
  assert.deepEqual([...chart.bytes], png);
  assert.equal(result.usage.patientsRead, 0);
});

test('top-level await and the global harbour work in the job module', async () => {
  const result = await run(`
    let n = 0;
    await harbour.cohort().forEach(() => n++);
    export default function () { harbour.output.json('out', { n }); }`);
  assert.equal(result.status, 'succeeded', result.reason);
  const out = output(result.outputs, 'out');
  assert.ok(out.kind === 'json');
  assert.deepEqual(out.value, { n: patients.length });
});

test('an undeclared output is refused and the job fails', async () => {
  const result = await run(`export function main(h) {
    try { h.output.json('secret', { a: 1 }); } catch { /* a job cannot swallow the refusal */ }
  }`);
  assert.equal(result.status, 'failed');
  assert.equal(result.failure, 'undeclared_output');
  assert.equal(result.outputs.length, 0);
});

test('an output written as another kind than declared, or twice, is refused', async () => {
  const wrongKind = await run(`export function main(h) { h.output.text('out', 'x'); }`, {
    declaredOutputs: [{ name: 'out', kind: 'table' }],
  });
  assert.equal(wrongKind.failure, 'invalid_output');
  const twice = await run(`export function main(h) { h.output.text('out', 'x'); h.output.text('out', 'y'); }`);
  assert.equal(twice.failure, 'invalid_output');
});

test('malformed outputs are rejected with a clear error inside the job', async () => {
  const result = await run(`export function main(h) { h.output.table('out', ['a', 'b'], [[1]]); }`);
  assert.equal(result.status, 'failed');
  assert.equal(result.failure, 'job_error');
  assert.match(result.guestError?.message ?? '', /row 0 must be an array of 2 cells/);
});

test('syntax errors, a missing entry and thrown errors fail with reasons; thrown text is kept apart', async () => {
  const syntax = await run('export function main( {');
  assert.equal(syntax.failure, 'compile_error');
  const noEntry = await run('export const x = 1;');
  assert.equal(noEntry.failure, 'entry_not_found');
  const tsError = await run('export function main(: number {}', { language: 'ts' });
  assert.equal(tsError.failure, 'compile_error');
  const thrown = await run(`export async function main(h) {
    for await (const p of h.cohort()) throw new Error('leak ' + p.pseudonym);
  }`);
  assert.equal(thrown.status, 'failed');
  assert.equal(thrown.failure, 'job_error');
  // The host-written reason never carries job data; what the job threw is in guestError, for guardians.
  assert.doesNotMatch(thrown.reason ?? '', /HBR-/);
  assert.match(thrown.guestError?.message ?? '', /^leak HBR-/);
});

test('a job awaiting a promise that can never settle fails instead of hanging', async () => {
  const result = await run('export function main() { return new Promise(() => {}); }');
  assert.equal(result.failure, 'never_settled');
});

test('a failing data source fails the job without exposing the error to it', async () => {
  const broken: JobDataSource = {
    ...dataSource,
    cohort: () => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('db password is hunter2')) }),
    }),
    resources: dataSource.resources.bind(dataSource),
    dicomStudies: dataSource.dicomStudies.bind(dataSource),
    dicomPixels: dataSource.dicomPixels.bind(dataSource),
  };
  const result = await run(
    `export async function main(h) { try { for await (const p of h.cohort()) {} } catch (e) { h.output.text('out', String(e)); } }`,
    { dataSource: broken },
  );
  assert.equal(result.status, 'failed');
  assert.equal(result.failure, 'data_source_error');
  for (const o of result.outputs) assert.doesNotMatch(Buffer.from(o.bytes).toString(), /hunter2/);
});

/** A data source whose cohort never yields: the job waits on the host. */
function hangingSource(onAbort: () => void, onWait: () => void = () => undefined): JobDataSource {
  return {
    ...dataSource,
    cohort: (request: PageRequest) => ({
      [Symbol.asyncIterator]: () => ({
        next: () =>
          new Promise<IteratorResult<never>>((resolve) => {
            onWait();
            request.signal.addEventListener('abort', () => {
              onAbort();
              resolve({ done: true, value: undefined });
            });
          }),
      }),
    }),
    resources: dataSource.resources.bind(dataSource),
    dicomStudies: dataSource.dicomStudies.bind(dataSource),
    dicomPixels: dataSource.dicomPixels.bind(dataSource),
  };
}

test('cancellation stops a computing job promptly', async () => {
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(), 150);
  const result = await run('export function main() { for (;;) {} }', { signal: controller.signal });
  assert.equal(result.status, 'cancelled');
  assert.equal(result.failure, 'cancelled');
  // Generous for loaded CI machines; without cancellation this job would run to its 5 s CPU limit.
  assert.ok(performance.now() - started < 3000, 'cancelled promptly');
});

test('cancellation stops a job waiting for data, and the data source is told to stop', async () => {
  const controller = new AbortController();
  let released = false;
  // Cancel once the job is really waiting on the data source (a fixed delay raced the sandbox's start on a busy machine).
  const result = await run(`export async function main(h) { for await (const p of h.cohort()) {} }`, {
    signal: controller.signal,
    dataSource: hangingSource(
      () => (released = true),
      () => setTimeout(() => controller.abort(), 20),
    ),
  });
  assert.equal(result.status, 'cancelled');
  assert.ok(result.usage.wallMs < 3000);
  assert.equal(released, true);
});

test('an already aborted signal cancels before anything runs', async () => {
  const result = await run('export function main() {}', { signal: AbortSignal.abort() });
  assert.equal(result.status, 'cancelled');
  assert.equal(result.usage.startLatencyMs, null);
});

test('the wall time limit ends a job waiting for data', async () => {
  const result = await run(`export async function main(h) { for await (const p of h.cohort()) {} }`, {
    dataSource: hangingSource(() => undefined),
    limits: { wallMs: 300 },
  });
  assert.equal(result.status, 'timed_out');
  assert.equal(result.failure, 'wall_limit');
});

test('invalid options are the caller’s error', async () => {
  await assert.rejects(run('export function main() {}', { declaredOutputs: ['../etc/passwd'] }), TypeError);
  await assert.rejects(run('export function main() {}', { declaredOutputs: ['a', 'a'] }), TypeError);
  await assert.rejects(run('export function main() {}', { limits: { memoryBytes: 1024 } }), RangeError);
});

test('the runtime string names the engine build and the hash of the WebAssembly executed', async () => {
  const result = await run('export function main() {}');
  assert.match(
    result.runtime,
    /^quickjs-emscripten 0\.\d+\.\d+; @jitl\/quickjs-wasmfile-release-sync .*QuickJS .*wasm sha256:[0-9a-f]{64}$/,
  );
  // The engine version is copied from the variant's README; fail here when an upgrade changes it.
  const fromQuickjs = createRequire(fileURLToPath(import.meta.resolve('quickjs-emscripten')));
  const readme = readFileSync(fromQuickjs.resolve(`${QUICKJS_VARIANT}/package.json`).replace(/package\.json$/, 'README.md'), 'utf8');
  assert.ok(readme.includes(`Version [${QUICKJS_ENGINE_VERSION}]`), 'QUICKJS_ENGINE_VERSION matches the installed variant');
});
