/**
 * The sandbox thread: one per job, discarded after it. It runs the job in QuickJS compiled to
 * WebAssembly (quickjs-emscripten), so the job's code never executes as host JavaScript and sees
 * none of Node: no `process`, no `require`/`import` of modules, no network, no filesystem, no
 * timers. Its only way out is the `harbour` API, whose host side is implemented here and forwards
 * reads to the runner thread.
 *
 * Why a worker thread: an interpreted job blocks the thread it runs on, so running it on the
 * runner's thread would stall the host (queue heartbeats, other jobs) and make cancellation
 * impossible to deliver. Here the host writes a flag to shared memory that QuickJS's interrupt
 * handler reads, and if that ever fails it can still terminate the thread.
 *
 * This file is loaded from transpiled source through a `data:` URL (see sandbox-assets.ts), so it
 * must not import relative modules at run time: `import type` only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle, QuickJSRuntime } from 'quickjs-emscripten';
import type { JobFailureCode, JobOutputKind, JobStatus } from '../job.types.js';
import type { ControlFlag, FromWorker, SandboxInit, SandboxOutcome, StreamKind, ToWorker, WasmGlobal, WasmMemory } from './protocol.js';

type QuickJSLib = typeof import('quickjs-emscripten');

const CANCEL: ControlFlag = 1;
const WALL_LIMIT: ControlFlag = 2;
const OUTPUT_KINDS: ReadonlySet<string> = new Set<JobOutputKind>(['table', 'json', 'text', 'png']);
const STREAM_KINDS: ReadonlySet<string> = new Set<StreamKind>(['cohort', 'resources', 'dicomStudies']);
const FHIR_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
// QuickJS native stack for the job; deep recursion fails with a stack overflow error, not a crash.
const MAX_STACK_BYTES = 512 * 1024;
// Reading what a job threw runs job code (getters, toString); it gets this much time of its own.
const DESCRIBE_ALLOWANCE_MS = 200;
const WASM_PAGE = 65536;
const MEMORY_FULL_SHARE = 0.9;
/** Largest single page or pixel buffer copied in, as a share of the memory limit (it is staged twice). */
const MAX_TRANSFER_SHARE = 0.25;
/** The module's declared minimum (16 MiB, emscripten INITIAL_MEMORY); the runner enforces memoryBytes ≥ this. */
const WASM_INITIAL_PAGES = 256;

const init = workerData as SandboxInit;
const port = parentPort;
const epochNow = (): number => performance.timeOrigin + performance.now();

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  port?.postMessage(message, transfer);
}

function fail(status: JobStatus, failure: JobFailureCode, reason: string): SandboxOutcome {
  return { status, failure, reason };
}

class JobSandbox {
  private readonly control = new Int32Array(init.control);
  private readonly wallDeadline = init.submittedAt + init.limits.wallMs;
  private readonly declared = new Map(init.declaredOutputs.map((d) => [d.name, d.kind]));
  private readonly written = new Set<string>();
  private readonly openStreams = new Set<number>();
  private readonly pendingPulls = new Map<number, QuickJSDeferredPromise>();
  private readonly pendingPixels = new Map<number, QuickJSDeferredPromise>();
  private nextStream = 1;
  private nextRequest = 1;
  private outputBytes = 0;
  private cpuMs = 0;
  private sliceStart = -1;
  private sliceAllowanceMs = 0;
  /** Set once the job must end (limit, cancellation, refused output); the interrupt handler then stops it. */
  private stop: SandboxOutcome | undefined;
  private wake: (() => void) | undefined;
  /** The entry function called, once known. */
  entryName = init.entry ?? 'main';

  constructor(
    private readonly rt: QuickJSRuntime,
    private readonly ctx: QuickJSContext,
    private readonly memory: WasmMemory,
  ) {}

  async run(): Promise<SandboxOutcome> {
    const { rt, ctx } = this;
    rt.setMaxStackSize(MAX_STACK_BYTES);
    rt.setInterruptHandler(() => this.shouldInterrupt());
    port?.on('message', (m: ToWorker) => this.onMessage(m));

    this.installHost();
    const preludeResult = this.slice(() => ctx.evalCode(init.prelude, 'harbour-prelude.js', { type: 'global', strict: true }));
    if (preludeResult.error) {
      preludeResult.error.dispose();
      return this.stop ?? fail('failed', 'sandbox_error', 'the sandbox API could not be set up');
    }
    const api = preludeResult.value;
    const harbour = ctx.getProp(api, 'harbour');
    const describe = ctx.getProp(api, 'describeError');

    const evaluated = this.slice(() => ctx.evalCode(init.code, 'job.js', { type: 'module', strict: true }));
    if (evaluated.error) return this.failure(evaluated.error, describe, 'compile_error');
    const exportsResult = await this.settle(evaluated.value);
    if (!exportsResult.ok) return this.failure(exportsResult.error, describe, 'job_error');
    const exportsHandle = exportsResult.value;

    const entryName = init.entry ?? (ctx.typeof(ctx.getProp(exportsHandle, 'main')) === 'function' ? 'main' : 'default');
    this.entryName = entryName;
    const entry = ctx.getProp(exportsHandle, entryName);
    if (ctx.typeof(entry) !== 'function') {
      return fail('failed', 'entry_not_found', `the job module exports no function named "${entryName}"`);
    }
    const called = this.slice(() => ctx.callFunction(entry, ctx.undefined, harbour));
    if (called.error) return this.failure(called.error, describe, 'job_error');
    const settled = await this.settle(called.value);
    if (!settled.ok) return this.failure(settled.error, describe, 'job_error');
    return this.stop ?? { status: 'succeeded' };
  }

  get cpu(): number {
    return this.cpuMs;
  }

  /** Linear memory only grows, so its size now is the job's peak. */
  get peak(): number {
    return this.memory.buffer.byteLength;
  }

  /** Runs guest code, accounting its time as CPU time. */
  private slice<T>(fn: () => T): T {
    this.sliceStart = performance.now();
    try {
      return fn();
    } finally {
      this.cpuMs += performance.now() - this.sliceStart;
      this.sliceStart = -1;
    }
  }

  private shouldInterrupt(): boolean {
    if (this.stop) return true;
    const flag = Atomics.load(this.control, 0);
    if (flag === CANCEL) this.stop = fail('cancelled', 'cancelled', 'the job was cancelled');
    else if (flag === WALL_LIMIT || epochNow() > this.wallDeadline) this.stop = this.wallLimit();
    else if (this.sliceStart >= 0 && this.cpuMs + (performance.now() - this.sliceStart) > init.limits.cpuMs + this.sliceAllowanceMs) {
      this.stop = fail('timed_out', 'cpu_limit', `the job used more than its CPU time limit of ${init.limits.cpuMs} ms`);
    }
    return this.stop !== undefined;
  }

  private wallLimit(): SandboxOutcome {
    return fail('timed_out', 'wall_limit', `the job ran longer than its wall time limit of ${init.limits.wallMs} ms`);
  }

  /**
   * Drives a guest promise to settlement: run the job's pending reactions, and when it waits for
   * the host (a page, pixels) wait for the runner's reply. A promise still pending with nothing
   * left to run and nothing awaited from the host can never settle: that is reported, not hung on.
   */
  private async settle(handle: QuickJSHandle): Promise<{ ok: true; value: QuickJSHandle } | { ok: false; error: QuickJSHandle | null }> {
    const { ctx, rt } = this;
    for (;;) {
      if (this.stop) return { ok: false, error: null };
      const state = ctx.getPromiseState(handle);
      if (state.type === 'fulfilled') return { ok: true, value: state.value };
      if (state.type === 'rejected') return { ok: false, error: state.error };
      if (rt.hasPendingJob()) {
        const ran = this.slice(() => rt.executePendingJobs(-1));
        if (ran.error) return { ok: false, error: ran.error };
        continue;
      }
      if (this.pendingPulls.size === 0 && this.pendingPixels.size === 0) {
        this.stop = fail('failed', 'never_settled', 'the job awaited a promise that can never settle');
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** The job ended with an error: prefer the host's reason (limits), else classify what it threw. */
  private failure(error: QuickJSHandle | null, describe: QuickJSHandle, fallback: JobFailureCode): SandboxOutcome {
    if (this.stop) return this.stop;
    if (error === null) return fail('failed', 'sandbox_error', 'the job ended without a result');
    this.sliceAllowanceMs = DESCRIBE_ALLOWANCE_MS;
    let guestError: { name: string; message: string; stack?: string } = { name: 'Error', message: '(unreadable)' };
    const described = this.slice(() => this.ctx.callFunction(describe, this.ctx.undefined, error));
    if (!described.error) {
      try {
        guestError = JSON.parse(this.ctx.getString(described.value)) as typeof guestError;
      } catch {
        // keep the placeholder
      }
      described.value.dispose();
    } else {
      described.error.dispose();
    }
    if (this.stop) return this.stop;
    const { name, message } = guestError;
    // When even the error object cannot be allocated QuickJS throws null instead; with the engine's
    // memory (nearly) full that is the memory limit, not a job that threw null.
    const memoryFull = this.memory.buffer.byteLength >= MEMORY_FULL_SHARE * init.limits.memoryBytes;
    const threwNull = this.ctx.eq(error, this.ctx.null);
    if ((name === 'InternalError' && /out of memory/i.test(message)) || (threwNull && memoryFull)) {
      return {
        ...fail('memory_exceeded', 'memory_limit', `the job exceeded its memory limit of ${init.limits.memoryBytes} bytes`),
        guestError,
      };
    }
    if (/stack overflow|call stack size/i.test(message)) {
      return { ...fail('failed', 'stack_overflow', 'the job recursed too deeply (stack overflow)'), guestError };
    }
    if (fallback === 'compile_error' && name === 'SyntaxError') {
      return { ...fail('failed', 'compile_error', 'the job code has a syntax error'), guestError };
    }
    return { ...fail('failed', 'job_error', 'the job threw an error'), guestError };
  }

  private onMessage(m: ToWorker): void {
    const { ctx } = this;
    switch (m.t) {
      case 'stop':
        this.stop ??= m.flag === CANCEL ? fail('cancelled', 'cancelled', 'the job was cancelled') : this.wallLimit();
        break;
      case 'page': {
        const deferred = this.pendingPulls.get(m.stream);
        if (!deferred) break;
        this.pendingPulls.delete(m.stream);
        if (m.error !== undefined) {
          this.stop ??= fail('failed', 'data_source_error', 'reading the project data failed');
          ctx.newError('reading the project data failed').consume((e) => deferred.reject(e));
        } else if (m.json === null) {
          this.openStreams.delete(m.stream);
          deferred.resolve(ctx.null);
        } else {
          const json = m.json;
          this.resolveWith(deferred, Buffer.byteLength(json), () => ctx.newString(json));
        }
        break;
      }
      case 'pixels': {
        const deferred = this.pendingPixels.get(m.req);
        if (!deferred) break;
        this.pendingPixels.delete(m.req);
        if (m.error !== undefined) {
          this.stop ??= fail('failed', 'data_source_error', 'reading the project data failed');
          ctx.newError('reading the project data failed').consume((e) => deferred.reject(e));
        } else if (m.data === null) {
          deferred.resolve(ctx.null);
        } else {
          const data = m.data;
          this.resolveWith(deferred, data.byteLength, () => ctx.newArrayBuffer(data));
        }
        break;
      }
      default: {
        const never: never = m;
        void never;
      }
    }
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /**
   * Copies a host value into the job's heap. quickjs-emscripten stages the bytes with a raw malloc
   * whose failure it does not check, so a value too large for the job's memory is refused before
   * copying rather than left to fail inside the engine.
   */
  private resolveWith(deferred: QuickJSDeferredPromise, bytes: number, make: () => QuickJSHandle): void {
    const tooLarge = (): void => {
      this.stop ??= fail(
        'memory_exceeded',
        'memory_limit',
        `data of ${bytes} bytes does not fit the job's memory limit of ${init.limits.memoryBytes} bytes`,
      );
      deferred.resolve(this.ctx.null);
    };
    if (bytes > init.limits.memoryBytes * MAX_TRANSFER_SHARE) {
      tooLarge();
      return;
    }
    try {
      const value = make();
      deferred.resolve(value);
      value.dispose();
    } catch {
      tooLarge();
    }
  }

  /** Refuses an action of the job: the job sees an error now and is ended with `failure`. */
  private refuse(failure: JobFailureCode, reason: string): { error: QuickJSHandle } {
    this.stop ??= fail('failed', failure, reason);
    return { error: this.ctx.newError(reason) };
  }

  private installHost(): void {
    const { ctx } = this;
    const host = ctx.newObject();
    const fn = (name: string, impl: (...args: QuickJSHandle[]) => QuickJSHandle | { error: QuickJSHandle } | undefined): void => {
      ctx.newFunction(name, impl).consume((f) => ctx.setProp(host, name, f));
    };

    fn('ready', () => {
      post({ t: 'ready', at: epochNow() });
      return undefined;
    });

    fn('open', (kindH, argH) => {
      const kind = kindH && ctx.typeof(kindH) === 'string' ? ctx.getString(kindH) : '';
      if (!STREAM_KINDS.has(kind)) return { error: ctx.newError('unknown collection') };
      let arg: string | null = null;
      if (kind === 'resources') {
        arg = argH && ctx.typeof(argH) === 'string' ? ctx.getString(argH) : '';
        if (!FHIR_TYPE.test(arg)) return { error: ctx.newError('not a FHIR resource type name') };
      }
      if (this.openStreams.size >= init.maxOpenStreams) {
        return { error: ctx.newError(`at most ${init.maxOpenStreams} collections may be read at once`) };
      }
      const stream = this.nextStream++;
      this.openStreams.add(stream);
      post({ t: 'open', stream, kind: kind as StreamKind, arg });
      return ctx.newNumber(stream);
    });

    fn('pull', (idH) => {
      const stream = idH && ctx.typeof(idH) === 'number' ? ctx.getNumber(idH) : -1;
      if (!this.openStreams.has(stream)) return { error: ctx.newError('collection is closed') };
      if (this.pendingPulls.has(stream)) return { error: ctx.newError('a page of this collection is already being read') };
      const deferred = ctx.newPromise();
      this.pendingPulls.set(stream, deferred);
      post({ t: 'pull', stream });
      return deferred.handle;
    });

    fn('close', (idH) => {
      const stream = idH && ctx.typeof(idH) === 'number' ? ctx.getNumber(idH) : -1;
      if (this.openStreams.delete(stream)) post({ t: 'close', stream });
      return undefined;
    });

    fn('pixels', (uidH) => {
      const uid = uidH && ctx.typeof(uidH) === 'string' ? ctx.getString(uidH) : '';
      if (uid === '' || uid.length > 128) return { error: ctx.newError('not a SOP Instance UID') };
      const req = this.nextRequest++;
      const deferred = ctx.newPromise();
      this.pendingPixels.set(req, deferred);
      post({ t: 'pixels', req, uid });
      return deferred.handle;
    });

    fn('output', (kindH, nameH, payloadH) => {
      const kind = kindH && ctx.typeof(kindH) === 'string' ? ctx.getString(kindH) : '';
      const name = nameH && ctx.typeof(nameH) === 'string' ? ctx.getString(nameH) : '';
      if (!OUTPUT_KINDS.has(kind) || !payloadH) return this.refuse('invalid_output', 'invalid output');
      if (!this.declared.has(name)) {
        // The name is the job's text; it is not echoed, since errors may reach the partner.
        return this.refuse('undeclared_output', 'the job wrote an output that was not declared at submission');
      }
      const declaredKind = this.declared.get(name);
      if (declaredKind !== undefined && declaredKind !== kind) {
        return this.refuse('invalid_output', `output "${name}" was declared as ${declaredKind}, written as ${kind}`);
      }
      if (this.written.has(name)) return this.refuse('invalid_output', `output "${name}" was written twice`);
      let payload: string | ArrayBuffer;
      if (kind === 'png') {
        const view = ctx.getArrayBuffer(payloadH);
        payload = view.value.slice().buffer;
        view.dispose();
      } else {
        if (ctx.typeof(payloadH) !== 'string') return this.refuse('invalid_output', 'invalid output');
        payload = ctx.getString(payloadH);
      }
      // Stored size: exact for json, text and png; for tables the JSON payload bounds the CSV from above.
      const size = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
      if (this.outputBytes + size > init.limits.maxOutputBytes) {
        return this.refuse('output_limit_exceeded', `outputs exceed the limit of ${init.limits.maxOutputBytes} bytes`);
      }
      this.outputBytes += size;
      this.written.add(name);
      post({ t: 'output', kind: kind as JobOutputKind, name, payload }, typeof payload === 'string' ? undefined : [payload]);
      return undefined;
    });

    ctx.newString(init.paramsJson).consume((p) => ctx.setProp(host, 'paramsJson', p));
    ctx.setProp(ctx.global, '__harbourHost', host);
    host.dispose();
  }
}

async function main(): Promise<void> {
  let sandbox: { cpu: number; peak: number | null; entryName: string } | undefined;
  let outcome: SandboxOutcome;
  try {
    const lib = (await import(init.quickjsUrl)) as QuickJSLib;
    // The memory limit is the size the engine's linear memory may grow to: when it is full, malloc
    // fails and QuickJS throws "out of memory". QuickJS's own malloc limit cannot be used: this build
    // has no malloc_usable_size, so it counts 8 bytes per allocation whatever its size.
    const memory = new (globalThis as unknown as WasmGlobal).WebAssembly.Memory({
      initial: WASM_INITIAL_PAGES,
      maximum: Math.ceil(init.limits.memoryBytes / WASM_PAGE),
    });
    // The runner compiled (and hashed) this exact WebAssembly module; instantiate it, never another.
    const variant = lib.newVariant(lib.RELEASE_SYNC, { wasmModule: init.wasmModule, wasmMemory: memory });
    const module = await lib.newQuickJSWASMModuleFromVariant(variant);
    const rt = module.newRuntime();
    const ctx = rt.newContext();
    const job = new JobSandbox(rt, ctx, memory);
    sandbox = job;
    outcome = await job.run();
    // Handles are not disposed: the thread and its WebAssembly instance are thrown away after the job.
  } catch {
    // A trap inside the engine (e.g. an abort in WebAssembly) ends this job only; the host survives.
    outcome = fail('failed', 'sandbox_error', 'the sandbox engine failed while running the job');
  }
  post({
    t: 'done',
    outcome,
    entry: sandbox?.entryName ?? init.entry ?? 'main',
    cpuMs: sandbox?.cpu ?? 0,
    memoryPeakBytes: sandbox?.peak ?? null,
  });
}

await main();
