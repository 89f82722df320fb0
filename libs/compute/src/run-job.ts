import { Worker } from 'node:worker_threads';
import type { JobDataSource, PageRequest } from './data-source.js';
import { prepareJobCode } from './job-code.js';
import {
  DEFAULT_LIMITS,
  MIN_MEMORY_BYTES,
  type DeclaredOutput,
  type JobFailureCode,
  type JobLimits,
  type JobOutput,
  type JobRunResult,
  type JobStatus,
  type RunJobOptions,
} from './job.types.js';
import { isValidOutputName, materializeOutput } from './outputs.js';
import { GUEST_PRELUDE } from './sandbox/guest-prelude.js';
import type { ControlFlag, FromWorker, SandboxInit, SandboxOutcome, StreamKind, ToWorker } from './sandbox/protocol.js';
import { sandboxAssets } from './sandbox/sandbox-assets.js';

const CANCEL: ControlFlag = 1;
const WALL_LIMIT: ControlFlag = 2;
/** After asking a job to stop, how long before its thread is terminated regardless. */
const STOP_GRACE_MS = 1000;
const DEFAULT_PAGE_SIZE = 2000;
const MAX_OPEN_STREAMS = 16;
const MiB = 1024 * 1024;

const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * Runs one compute job in a fresh sandbox (a worker thread running QuickJS compiled to
 * WebAssembly) and resolves with what happened. It never rejects for anything the job does:
 * limits, errors, refused outputs and cancellation are statuses. It throws only for invalid
 * options (a programming error of the caller).
 */
export async function runJob(options: RunJobOptions): Promise<JobRunResult> {
  const submittedAt = epochNow();
  const limits = resolveLimits(options.limits);
  const declaredOutputs = normalizeDeclared(options.declaredOutputs);
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100_000) throw new RangeError('pageSize must be an integer in 1..100000');
  const paramsJson = JSON.stringify(options.params ?? null);

  const prepared = await prepareJobCode(options.code, options.language);
  const assets = await sandboxAssets();
  const base = {
    codeSha256: prepared.codeSha256,
    language: options.language,
    entry: options.entry ?? 'main',
    limits,
    runtime: assets.runtimeVersion,
  };
  const usage0 = { cpuMs: 0, startLatencyMs: null, memoryPeakBytes: null, recordsRead: 0, patientsRead: 0 };
  if (!prepared.ok) {
    return {
      ...base,
      status: 'failed',
      failure: prepared.failure,
      reason: prepared.message,
      outputs: [],
      usage: { ...usage0, wallMs: epochNow() - submittedAt },
    };
  }
  if (options.signal?.aborted) {
    return {
      ...base,
      status: 'cancelled',
      failure: 'cancelled',
      reason: 'the job was cancelled before it started',
      outputs: [],
      usage: { ...usage0, wallMs: epochNow() - submittedAt },
    };
  }

  const control = new SharedArrayBuffer(4);
  const init: SandboxInit = {
    quickjsUrl: assets.quickjsUrl,
    wasmModule: assets.wasmModule,
    prelude: GUEST_PRELUDE,
    code: prepared.javascript,
    entry: options.entry ?? null,
    paramsJson,
    declaredOutputs,
    limits,
    submittedAt,
    control,
    maxOpenStreams: MAX_OPEN_STREAMS,
  };
  const worker = new Worker(assets.workerUrl, {
    workerData: init,
    name: 'harbour-job-sandbox',
    // No loader hooks, no flags and no environment (secrets live there) in the sandbox thread.
    execArgv: [],
    env: {},
    stdout: true,
    stderr: true,
    // A backstop for the thread's own JavaScript heap (the job's heap is QuickJS's, limited in the
    // worker). The stack is large because WebAssembly frames of deeply recursive engine code (the
    // parser, JSON) use it: with 4 MiB the thread's stack ran out before QuickJS's own stack check.
    resourceLimits: { maxOldGenerationSizeMb: 64 + 3 * Math.ceil(limits.maxOutputBytes / MiB), stackSizeMb: 16 },
  });
  worker.stdout.resume();
  worker.stderr.resume();
  return new JobRun(worker, options.dataSource, pageSize, limits, submittedAt, control, options.signal).wait(base);
}

function resolveLimits(partial: Partial<JobLimits> | undefined): JobLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`limits.${key} must be a positive number`);
  }
  if (limits.memoryBytes < MIN_MEMORY_BYTES)
    throw new RangeError(`limits.memoryBytes must be at least ${MIN_MEMORY_BYTES} (the engine's initial memory)`);
  return limits;
}

function normalizeDeclared(declared: readonly (string | DeclaredOutput)[]): DeclaredOutput[] {
  const out = declared.map((d) => (typeof d === 'string' ? { name: d } : d));
  const names = new Set<string>();
  for (const d of out) {
    if (!isValidOutputName(d.name)) throw new TypeError(`invalid output name: ${JSON.stringify(d.name)}`);
    if (names.has(d.name)) throw new TypeError(`output declared twice: ${d.name}`);
    names.add(d.name);
  }
  return out;
}

interface EncodedPage {
  readonly json: string;
  readonly count: number;
}

/**
 * One page stream from the host's data source. It reads and encodes one page ahead of the job, so
 * the next page is ready (on this thread) while the sandbox thread parses the current one.
 */
class HostStream {
  private readonly iterator: AsyncIterator<readonly unknown[]>;
  private ahead: Promise<EncodedPage | null> | undefined;

  constructor(iterable: AsyncIterable<readonly unknown[]>) {
    this.iterator = iterable[Symbol.asyncIterator]();
    this.ahead = this.fetch();
  }

  async pull(): Promise<EncodedPage | null> {
    const page = await (this.ahead ?? this.fetch());
    this.ahead = page === null ? undefined : this.fetch();
    return page;
  }

  close(): void {
    this.ahead = undefined;
    void Promise.resolve(this.iterator.return?.()).catch(() => undefined);
  }

  private fetch(): Promise<EncodedPage | null> {
    // JSON crosses into the sandbox as one string parsed there: far cheaper than building objects handle by handle.
    const p = this.iterator.next().then((r) => (r.done ? null : { json: JSON.stringify(r.value), count: r.value.length }));
    // A read-ahead the job never asks for must not surface as an unhandled rejection.
    p.catch(() => undefined);
    return p;
  }
}

class JobRun {
  private readonly control: Int32Array;
  private readonly streams = new Map<number, { kind: StreamKind; stream: HostStream }>();
  private readonly dataAbort = new AbortController();
  private readonly outputs: JobOutput[] = [];
  private outputRejected = false;
  private dataSourceFailed = false;
  private recordsRead = 0;
  private patientsRead = 0;
  private startLatencyMs: number | null = null;
  private stopFlag: ControlFlag | undefined;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly source: JobDataSource,
    private readonly pageSize: number,
    private readonly limits: JobLimits,
    private readonly submittedAt: number,
    control: SharedArrayBuffer,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.control = new Int32Array(control);
  }

  async wait(base: Omit<JobRunResult, 'status' | 'outputs' | 'usage'>): Promise<JobRunResult> {
    const onAbort = (): void => this.requestStop(CANCEL);
    this.signal?.addEventListener('abort', onAbort, { once: true });
    const wallTimer = setTimeout(() => this.requestStop(WALL_LIMIT), Math.max(0, this.submittedAt + this.limits.wallMs - epochNow()));

    type Done = Extract<FromWorker, { t: 'done' }>;
    const done = await new Promise<Done | { t: 'exit'; error?: Error }>((resolve) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.t === 'done') resolve(m);
        else this.onMessage(m);
      });
      this.worker.once('error', (error) => resolve({ t: 'exit', error }));
      this.worker.once('exit', () => resolve({ t: 'exit' }));
    });

    clearTimeout(wallTimer);
    clearTimeout(this.killTimer);
    this.signal?.removeEventListener('abort', onAbort);
    this.dataAbort.abort();
    for (const { stream } of this.streams.values()) stream.close();
    this.streams.clear();
    await this.worker.terminate();

    const outcome = this.outcome(done);
    return {
      ...base,
      entry: done.t === 'done' ? done.entry : base.entry,
      ...outcome,
      outputs: this.outputs,
      usage: {
        wallMs: epochNow() - this.submittedAt,
        cpuMs: done.t === 'done' ? done.cpuMs : 0,
        startLatencyMs: this.startLatencyMs,
        memoryPeakBytes: done.t === 'done' ? done.memoryPeakBytes : null,
        recordsRead: this.recordsRead,
        patientsRead: this.patientsRead,
      },
    };
  }

  private outcome(done: Extract<FromWorker, { t: 'done' }> | { t: 'exit'; error?: Error }): SandboxOutcome {
    let outcome: SandboxOutcome;
    if (done.t === 'done') outcome = done.outcome;
    else if (this.stopFlag === CANCEL) outcome = stopped('cancelled', 'cancelled', 'the job was cancelled');
    else if (this.stopFlag === WALL_LIMIT)
      outcome = stopped('timed_out', 'wall_limit', `the job ran longer than its wall time limit of ${this.limits.wallMs} ms`);
    else if (done.error && (done.error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') {
      outcome = stopped('memory_exceeded', 'memory_limit', 'the sandbox thread ran out of memory');
    } else outcome = stopped('failed', 'sandbox_error', 'the sandbox thread ended unexpectedly');

    if (outcome.status !== 'succeeded') return outcome;
    if (this.dataSourceFailed) return stopped('failed', 'data_source_error', 'reading the project data failed');
    if (this.outputRejected) return stopped('failed', 'invalid_output', 'an output was malformed');
    const total = this.outputs.reduce((n, o) => n + o.size, 0);
    if (total > this.limits.maxOutputBytes) {
      return stopped('failed', 'output_limit_exceeded', `outputs exceed the limit of ${this.limits.maxOutputBytes} bytes`);
    }
    return outcome;
  }

  private requestStop(flag: ControlFlag): void {
    if (this.stopFlag !== undefined) return;
    this.stopFlag = flag;
    // The interrupt handler reads the flag while the job computes; the message wakes a job waiting for data.
    Atomics.store(this.control, 0, flag);
    this.post({ t: 'stop', flag });
    // Backstop for engine code that never polls the interrupt handler: end the thread itself.
    this.killTimer = setTimeout(() => void this.worker.terminate(), STOP_GRACE_MS);
  }

  private post(message: ToWorker, transfer?: ArrayBuffer[]): void {
    try {
      this.worker.postMessage(message, transfer);
    } catch {
      // The thread is gone; its exit is handled by wait().
    }
  }

  private onMessage(m: Exclude<FromWorker, { t: 'done' }>): void {
    switch (m.t) {
      case 'ready':
        this.startLatencyMs = m.at - this.submittedAt;
        return;
      case 'open': {
        const request: PageRequest = { pageSize: this.pageSize, signal: this.dataAbort.signal };
        const iterable =
          m.kind === 'cohort'
            ? this.source.cohort(request)
            : m.kind === 'resources'
              ? this.source.resources(m.arg ?? '', request)
              : this.source.dicomStudies(request);
        this.streams.set(m.stream, { kind: m.kind, stream: new HostStream(iterable) });
        return;
      }
      case 'pull':
        void this.pull(m.stream);
        return;
      case 'close':
        this.streams.get(m.stream)?.stream.close();
        this.streams.delete(m.stream);
        return;
      case 'pixels':
        void this.pixels(m.req, m.uid);
        return;
      case 'output': {
        const output = materializeOutput(m.kind, m.name, m.payload);
        if (output) this.outputs.push(output);
        else this.outputRejected = true;
        return;
      }
    }
  }

  private async pull(id: number): Promise<void> {
    const entry = this.streams.get(id);
    if (!entry) {
      this.post({ t: 'page', stream: id, json: null });
      return;
    }
    try {
      const page = await entry.stream.pull();
      if (page === null) {
        this.streams.delete(id);
        this.post({ t: 'page', stream: id, json: null });
        return;
      }
      this.recordsRead += page.count;
      if (entry.kind === 'cohort') this.patientsRead += page.count;
      this.post({ t: 'page', stream: id, json: page.json });
    } catch {
      this.dataSourceFailed = true;
      this.post({ t: 'page', stream: id, json: null, error: 'data source error' });
    }
  }

  private async pixels(req: number, uid: string): Promise<void> {
    try {
      const px = await this.source.dicomPixels(uid, { signal: this.dataAbort.signal });
      if (px === null) {
        this.post({ t: 'pixels', req, data: null });
        return;
      }
      // A fresh buffer of exactly these bytes, transferred (not copied) to the sandbox thread.
      const data = new Uint8Array(px).buffer;
      this.recordsRead += 1;
      this.post({ t: 'pixels', req, data }, [data]);
    } catch {
      this.dataSourceFailed = true;
      this.post({ t: 'pixels', req, data: null, error: 'data source error' });
    }
  }
}

function stopped(status: JobStatus, failure: JobFailureCode, reason: string): SandboxOutcome {
  return { status, failure, reason };
}
