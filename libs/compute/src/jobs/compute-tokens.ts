import type { JobLimits } from '../job.types.js';

/** Injection token of the object store holding job outputs (bound to the runtime's by `ComputeModule.register`). */
export const COMPUTE_OBJECT_STORE = Symbol('COMPUTE_OBJECT_STORE');
/** Injection token of `ComputeOptions` (optional; defaults below). */
export const COMPUTE_OPTIONS = Symbol('COMPUTE_OPTIONS');

export interface ComputeOptions {
  /** How long a run's lease lasts without a heartbeat before the sweeper may take the job back. */
  readonly leaseMs: number;
  /** Heartbeat period; also how soon a cancellation reaches a running job on another machine. */
  readonly heartbeatMs: number;
  /** Sweeper period in each worker process. */
  readonly sweepIntervalMs: number;
  /** A queued job not picked up for this long is handed to the queue again. */
  readonly requeueAfterMs: number;
  /** Runs of one job at most (a worker dying mid-run costs one). */
  readonly maxAttempts: number;
  /** Sandbox limits of every run. */
  readonly limits: Partial<JobLimits>;
}

export const DEFAULT_COMPUTE_OPTIONS: ComputeOptions = {
  leaseMs: 30_000,
  heartbeatMs: 2_000,
  sweepIntervalMs: 30_000,
  requeueAfterMs: 120_000,
  maxAttempts: 3,
  limits: {},
};
