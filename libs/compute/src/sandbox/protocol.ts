/**
 * Messages between the runner (host thread) and the sandbox worker thread. Types only: the worker
 * is started from transpiled source with no relative imports, so nothing here may exist at run time.
 */
import type { DeclaredOutput, GuestError, JobFailureCode, JobLimits, JobOutputKind, JobStatus } from '../job.types.js';

/**
 * The few WebAssembly JS API members used here, typed locally: the project compiles with lib
 * ES2023 and no DOM, so the global `WebAssembly` namespace has no declarations.
 */
export interface WasmModule {
  readonly __brand: 'WebAssembly.Module';
}
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmApi {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
/** `globalThis.WebAssembly` with the local types (a value-free expression both threads repeat). */
export type WasmGlobal = { readonly WebAssembly: WasmApi };

export type StreamKind = 'cohort' | 'resources' | 'dicomStudies';

/**
 * Values of `control[0]`, written by the host, read by the interrupt handler inside the worker:
 * 0 run, 1 cancelled, 2 wall-time limit. Plain numbers, not an enum, because the worker cannot
 * import values from this file.
 */
export type ControlFlag = 0 | 1 | 2;

export interface SandboxInit {
  readonly quickjsUrl: string;
  readonly wasmModule: WasmModule;
  readonly prelude: string;
  readonly code: string;
  readonly entry: string | null;
  readonly paramsJson: string;
  readonly declaredOutputs: readonly DeclaredOutput[];
  readonly limits: JobLimits;
  /** Epoch ms (timeOrigin + now) at submission, so both threads measure against one clock. */
  readonly submittedAt: number;
  /** Int32Array over this: `[ControlFlag]`. */
  readonly control: SharedArrayBuffer;
  readonly maxOpenStreams: number;
}

export interface SandboxOutcome {
  readonly status: JobStatus;
  readonly failure?: JobFailureCode;
  readonly reason?: string;
  readonly guestError?: GuestError;
}

export type FromWorker =
  | { readonly t: 'ready'; readonly at: number }
  | { readonly t: 'open'; readonly stream: number; readonly kind: StreamKind; readonly arg: string | null }
  | { readonly t: 'pull'; readonly stream: number }
  | { readonly t: 'close'; readonly stream: number }
  | { readonly t: 'pixels'; readonly req: number; readonly uid: string }
  | { readonly t: 'output'; readonly kind: JobOutputKind; readonly name: string; readonly payload: string | ArrayBuffer }
  | {
      readonly t: 'done';
      readonly outcome: SandboxOutcome;
      /** The entry function actually called (or looked for). */
      readonly entry: string;
      readonly cpuMs: number;
      readonly memoryPeakBytes: number | null;
    };

export type ToWorker =
  | { readonly t: 'page'; readonly stream: number; readonly json: string | null; readonly error?: string }
  | { readonly t: 'pixels'; readonly req: number; readonly data: ArrayBuffer | null; readonly error?: string }
  | { readonly t: 'stop'; readonly flag: ControlFlag };
