import type { JobDataSource } from './data-source.js';

export type JobLanguage = 'js' | 'ts';

/** Kinds of output a job may write, with the media type each is stored as. */
export type JobOutputKind = 'table' | 'json' | 'text' | 'png';

export const OUTPUT_MIME: Readonly<Record<JobOutputKind, string>> = {
  table: 'text/csv; charset=utf-8',
  json: 'application/json',
  text: 'text/plain; charset=utf-8',
  png: 'image/png',
};

/** An output the partner declares at submission; the job may write only these, each at most once. */
export interface DeclaredOutput {
  readonly name: string;
  /** When given, a write of another kind under this name is refused. */
  readonly kind?: JobOutputKind;
}

export interface JobLimits {
  /**
   * All the memory of the job's engine (its heap, stack and the engine itself), rounded up to
   * 64 KiB. Allocations beyond it fail inside the job with "out of memory". At least 16 MiB.
   */
  readonly memoryBytes: number;
  /** Time the job's code may spend executing (waiting for data pages does not count). */
  readonly cpuMs: number;
  /** Time from start to finish, waiting included. */
  readonly wallMs: number;
  /** Total size of all outputs, as stored (CSV, JSON, text, PNG bytes). */
  readonly maxOutputBytes: number;
}

/** The WebAssembly engine starts with 16 MiB of linear memory, so no limit can be lower. */
export const MIN_MEMORY_BYTES = 16 * 1024 * 1024;

export const DEFAULT_LIMITS: JobLimits = {
  memoryBytes: 64 * 1024 * 1024,
  cpuMs: 30_000,
  wallMs: 60_000,
  maxOutputBytes: 10 * 1024 * 1024,
};

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface RunJobOptions {
  /** Source of the job module as submitted (its sha-256 is recorded over exactly these characters). */
  readonly code: string;
  readonly language: JobLanguage;
  /** Exported function to call: default `main`, else the default export. */
  readonly entry?: string;
  /** Parameters given at submission, visible inside as `harbour.params` (a frozen copy). */
  readonly params?: JsonValue;
  readonly declaredOutputs: readonly (string | DeclaredOutput)[];
  readonly dataSource: JobDataSource;
  readonly limits?: Partial<JobLimits>;
  /** Records per page asked of the data source (default 2000). */
  readonly pageSize?: number;
  /** Abort to cancel: the running job is interrupted promptly and the result says `cancelled`. */
  readonly signal?: AbortSignal;
}

export type JobStatus = 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'memory_exceeded';

/** Why a job did not succeed, as a stable code (the `reason` text is for people). */
export type JobFailureCode =
  | 'invalid_code'
  | 'compile_error'
  | 'entry_not_found'
  | 'job_error'
  | 'stack_overflow'
  | 'undeclared_output'
  | 'invalid_output'
  | 'output_limit_exceeded'
  | 'never_settled'
  | 'cpu_limit'
  | 'wall_limit'
  | 'memory_limit'
  | 'cancelled'
  | 'data_source_error'
  | 'sandbox_error';

export type TableCell = string | number | boolean | null;

export interface TableData {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly TableCell[])[];
}

interface JobOutputBase {
  readonly name: string;
  readonly mime: string;
  /** The output as stored and released: CSV (RFC 4180), JSON, UTF-8 text or the PNG bytes. */
  readonly bytes: Uint8Array;
  readonly size: number;
  /** sha-256 of `bytes`, lowercase hex. */
  readonly sha256: string;
}

/** An output written by a job: plain data copied out of the sandbox, never a reference into it. */
export type JobOutput =
  | (JobOutputBase & { readonly kind: 'table'; readonly table: TableData })
  | (JobOutputBase & { readonly kind: 'json'; readonly value: JsonValue })
  | (JobOutputBase & { readonly kind: 'text'; readonly text: string })
  | (JobOutputBase & { readonly kind: 'png' });

export interface JobUsage {
  readonly wallMs: number;
  /** Time spent executing the job's code inside the sandbox. */
  readonly cpuMs: number;
  /** Submit → the job's first instruction inside the sandbox (thread, engine and context set up). */
  readonly startLatencyMs: number | null;
  /** High-water mark of the engine's memory (WebAssembly linear memory only grows), bytes. */
  readonly memoryPeakBytes: number | null;
  /** Records handed to the job (patients, resources, studies). */
  readonly recordsRead: number;
  /** Patients handed to the job through `harbour.cohort()`: the airlock compares row counts with it. */
  readonly patientsRead: number;
}

/**
 * What the job's own code threw. It is job-controlled text that may embed data, so it is for the
 * data guardian's eyes, never shown to the partner without review.
 */
export interface GuestError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export interface JobRunResult {
  readonly status: JobStatus;
  readonly failure?: JobFailureCode;
  /** Host-written explanation; never contains job data. */
  readonly reason?: string;
  readonly guestError?: GuestError;
  /** sha-256 (hex) of the submitted code. */
  readonly codeSha256: string;
  readonly language: JobLanguage;
  readonly entry: string;
  /** Outputs written before the job ended (release only those of a `succeeded` job). */
  readonly outputs: readonly JobOutput[];
  readonly usage: JobUsage;
  readonly limits: JobLimits;
  /** Engine and build, for provenance: package versions and the sha-256 of the WebAssembly executed. */
  readonly runtime: string;
}
