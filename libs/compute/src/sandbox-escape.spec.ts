/**
 * Escape attempts a hostile job might make; each must fail inside the sandbox, leave the host
 * untouched, and end with a status and reason when it exhausts a limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryJobDataSource, syntheticCohort } from './in-memory-data-source.js';
import type { JobOutput, RunJobOptions } from './job.types.js';
import { runJob } from './run-job.js';

const dataSource = new InMemoryJobDataSource({ patients: syntheticCohort(50) });
const MiB = 1024 * 1024;

const run = (code: string, extra: Partial<RunJobOptions> = {}) =>
  runJob({
    code,
    language: 'js',
    declaredOutputs: ['out'],
    dataSource,
    limits: { cpuMs: 2000, wallMs: 5000, memoryBytes: 32 * MiB },
    ...extra,
  });

function jsonOut(outputs: readonly JobOutput[]): unknown {
  const o = outputs.find((x) => x.name === 'out');
  assert.ok(o && o.kind === 'json', 'json output "out" written');
  return o.value;
}

test('no Node, no modules, no network, no filesystem, no raw host functions', async () => {
  const result = await run(`
    export async function main(h) {
      const probe = (f) => { try { const v = f(); return v === undefined ? 'undefined' : typeof v; } catch (e) { return 'threw ' + e.name; } };
      let dynamicImport;
      try { await import('node:fs'); dynamicImport = 'loaded'; } catch (e) { dynamicImport = 'threw ' + e.name; }
      const g = Function('return this')();
      h.output.json('out', {
        require: typeof require, module: typeof module, process: typeof process, Buffer: typeof Buffer,
        fetch: typeof fetch, XMLHttpRequest: typeof XMLHttpRequest, WebSocket: typeof WebSocket,
        setTimeout: typeof setTimeout, performance: typeof performance, std: typeof std, os: typeof os,
        Deno: typeof Deno, Bun: typeof Bun, WebAssembly: typeof WebAssembly, SharedArrayBufferShared: typeof postMessage,
        hostObject: typeof globalThis.__harbourHost,
        viaFunction: probe(() => g.process),
        viaConstructor: probe(() => ({}).constructor.constructor('return process')()),
        viaEval: probe(() => (0, eval)('typeof require === "function" ? require("fs") : undefined')),
        dynamicImport,
        globals: Object.getOwnPropertyNames(globalThis).filter((k) => /process|require|fetch|fs|net|http|host/i.test(k)),
      });
    }`);
  assert.equal(result.status, 'succeeded', result.reason);
  assert.deepEqual(jsonOut(result.outputs), {
    require: 'undefined',
    module: 'undefined',
    process: 'undefined',
    Buffer: 'undefined',
    fetch: 'undefined',
    XMLHttpRequest: 'undefined',
    WebSocket: 'undefined',
    setTimeout: 'undefined',
    performance: 'undefined',
    std: 'undefined',
    os: 'undefined',
    Deno: 'undefined',
    Bun: 'undefined',
    WebAssembly: 'undefined',
    SharedArrayBufferShared: 'undefined',
    hostObject: 'undefined',
    viaFunction: 'undefined',
    viaConstructor: 'threw ReferenceError',
    viaEval: 'undefined',
    dynamicImport: 'threw ReferenceError',
    globals: [],
  });
});

test('a static import of a module fails the job', async () => {
  for (const spec of ['fs', 'node:child_process', './other.js', 'https://example.org/x.js']) {
    const result = await run(`import x from '${spec}'; export function main() { return x; }`);
    assert.equal(result.status, 'failed', spec);
    assert.ok(result.failure === 'compile_error' || result.failure === 'job_error', `${spec}: ${String(result.failure)}`);
  }
});

test('the harbour API is frozen and cannot be replaced', async () => {
  const result = await run(`
    export function main(h) {
      const tries = [];
      for (const f of [() => { h.output = {}; }, () => { h.output.json = () => {}; }, () => { globalThis.harbour = {}; }, () => { h.params.x = 1; }]) {
        try { f(); tries.push('changed'); } catch (e) { tries.push(e.name); }
      }
      h.output.json('out', { tries, same: globalThis.harbour === h });
    }`);
  assert.equal(result.status, 'succeeded', result.reason);
  assert.deepEqual(jsonOut(result.outputs), { tries: ['TypeError', 'TypeError', 'TypeError', 'TypeError'], same: true });
});

test('prototype pollution inside stays inside; outputs are copied as plain data', async () => {
  const result = await run(`
    export function main(h) {
      Object.prototype.polluted = 'yes';
      Array.prototype.polluted = 'yes';
      Object.prototype.toString = () => 'hijacked';
      JSON.stringify = () => '{"forged":true}';
      const value = { n: 1, nested: { list: [1, 2] } };
      Object.defineProperty(value, '__proto__', { value: { isAdmin: true }, enumerable: true });
      h.output.json('out', value);
    }`);
  assert.equal(result.status, 'succeeded', result.reason);
  const value = jsonOut(result.outputs) as Record<string, unknown>;
  // The forged JSON.stringify was not used: the API captured the real one before the job ran.
  assert.equal(value.n, 1);
  // "__proto__" came back as an own data key, not as the object's prototype.
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.ok(Object.hasOwn(value, '__proto__'));
  assert.equal((value as { isAdmin?: boolean }).isAdmin, undefined);
  // Nothing leaked into the host's intrinsics.
  assert.equal(({} as { polluted?: string }).polluted, undefined);
  assert.equal(([] as unknown as { polluted?: string }).polluted, undefined);
  assert.equal(Object.prototype.toString.call({}), '[object Object]');
  assert.equal(JSON.stringify({ a: 1 }), '{"a":1}');
});

test('the clock inside has one-second resolution only', async () => {
  const result = await run(`
    export function main(h) {
      const D = new Date(0).constructor;
      h.output.json('out', {
        now: Date.now() % 1000, ms: new Date().getMilliseconds(), viaCtor: D.now() % 1000, viaNew: new D().getMilliseconds(),
        explicitStillWorks: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 678)).getUTCMilliseconds(),
      });
    }`);
  assert.equal(result.status, 'succeeded', result.reason);
  assert.deepEqual(jsonOut(result.outputs), { now: 0, ms: 0, viaCtor: 0, viaNew: 0, explicitStillWorks: 678 });
});

test('an infinite loop hits the CPU limit, even when it catches errors', async () => {
  const result = await run('export function main() { for (;;) { try { for (;;) {} } catch {} } }', {
    limits: { cpuMs: 200, wallMs: 5000 },
  });
  assert.equal(result.status, 'timed_out');
  assert.equal(result.failure, 'cpu_limit');
  assert.match(result.reason ?? '', /CPU time limit of 200 ms/);
  assert.ok(result.usage.cpuMs >= 200 && result.usage.cpuMs < 1500);
});

test('an infinite loop in a promise chain hits the CPU limit too', async () => {
  const result = await run('export async function main() { const spin = async () => { await null; return spin(); }; await spin(); }', {
    limits: { cpuMs: 200, wallMs: 5000 },
  });
  assert.equal(result.status, 'timed_out');
  assert.equal(result.failure, 'cpu_limit');
});

test('catastrophic regex backtracking is stopped by the limits', async () => {
  const started = performance.now();
  const result = await run(`export function main() { /^(a+)+$/.test('a'.repeat(40) + '!'); }`, { limits: { cpuMs: 200, wallMs: 1000 } });
  assert.equal(result.status, 'timed_out');
  assert.equal(result.failure, 'cpu_limit', 'the regex engine polls the interrupt handler');
  assert.ok(performance.now() - started < 5000);
});

test('engine code that never polls the interrupt handler is ended by terminating the thread', async () => {
  // QuickJS's JSON.stringify over very deep nesting runs for seconds in C without polling.
  const started = performance.now();
  const result = await run('export function main() { let o = []; for (let i = 0; i < 200000; i++) o = [o]; JSON.stringify(o); }', {
    limits: { cpuMs: 500, wallMs: 1500 },
  });
  assert.equal(result.status, 'timed_out');
  assert.ok(performance.now() - started < 6000);
});

test('memory bombs hit the memory limit and fail with a reason', async () => {
  const bombs = [
    'const a = []; for (;;) a.push("x".repeat(1000) + a.length);',
    'const a = []; for (;;) a.push({ i: a.length, s: [a.length] });',
    'new ArrayBuffer(512 * 1024 * 1024);',
    'const a = []; for (;;) a.push(new Float64Array(1 << 16));',
  ];
  for (const bomb of bombs) {
    const result = await run(`export function main() { ${bomb} }`);
    assert.equal(result.status, 'memory_exceeded', bomb);
    assert.equal(result.failure, 'memory_limit');
    assert.match(result.reason ?? '', /memory limit of 33554432 bytes/);
    assert.ok((result.usage.memoryPeakBytes ?? 0) <= 32 * MiB, 'engine memory stayed within the limit');
  }
});

test('data too large for the job memory is refused before it is copied in', async () => {
  const big = new InMemoryJobDataSource({ pixels: new Map([['1.2.3', new Uint8Array(10 * MiB)]]) });
  const result = await run(`export async function main(h) { await h.dicom.pixels('1.2.3'); }`, { dataSource: big });
  assert.equal(result.status, 'memory_exceeded');
  assert.match(result.reason ?? '', /does not fit the job's memory limit/);
  const roomy = await run(`export async function main(h) { h.output.json('out', (await h.dicom.pixels('1.2.3')).length); }`, {
    dataSource: big,
    limits: { memoryBytes: 64 * MiB },
  });
  assert.equal(roomy.status, 'succeeded', roomy.reason);
  assert.equal(jsonOut(roomy.outputs), 10 * MiB);
});

test('a job that catches out-of-memory still cannot exceed the limit', async () => {
  const result = await run(`
    export function main(h) {
      const keep = [];
      let caught = 0;
      for (let i = 0; i < 5; i++) { try { for (;;) keep.push(new Array(4096).fill(i)); } catch { caught++; } }
      h.output.json('out', { caught });
    }`);
  // Either outcome is safe; what matters is that memory never went beyond the limit.
  assert.ok(result.status === 'succeeded' || result.status === 'memory_exceeded', result.reason);
  assert.ok((result.usage.memoryPeakBytes ?? 0) <= 32 * MiB);
});

test('deep recursion fails cleanly, in job code and in the engine (parser, JSON, getters)', async () => {
  for (const body of [
    'const f = (n) => f(n + 1) + 1; f(0);',
    "JSON.parse('['.repeat(200000) + ']'.repeat(200000));",
    "eval('('.repeat(100000) + '1' + ')'.repeat(100000));",
    'const g = { get x() { return this.x; } }; g.x;',
  ]) {
    const result = await run(`export function main() { ${body} }`);
    assert.equal(result.status, 'failed', body);
    assert.equal(result.failure, 'stack_overflow', body);
  }
});

test('a huge output is refused at the output size limit', async () => {
  const result = await run(`export function main(h) { h.output.text('out', 'x'.repeat(2 * 1024 * 1024)); }`, {
    limits: { maxOutputBytes: 1024 * 1024, memoryBytes: 64 * MiB },
  });
  assert.equal(result.status, 'failed');
  assert.equal(result.failure, 'output_limit_exceeded');
  assert.equal(result.outputs.length, 0);
  const many = await run(`export function main(h) { for (const n of ['a', 'b', 'c']) h.output.text(n, 'y'.repeat(400 * 1024)); }`, {
    declaredOutputs: ['a', 'b', 'c'],
    limits: { maxOutputBytes: 1024 * 1024 },
  });
  assert.equal(many.failure, 'output_limit_exceeded');
  assert.deepEqual(
    many.outputs.map((o) => o.name),
    ['a', 'b'],
  );
});

test('the host survives all of the above and still runs jobs', async () => {
  const result = await run(
    `export async function main(h) { let n = 0; for await (const p of h.cohort()) n++; h.output.json('out', { n }); }`,
  );
  assert.equal(result.status, 'succeeded', result.reason);
  assert.deepEqual(jsonOut(result.outputs), { n: 50 });
});
