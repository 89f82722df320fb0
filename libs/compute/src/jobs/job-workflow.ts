import { DomainError } from '@harbour/errors';

/**
 * The compute job and airlock output workflows as transition tables (CONVENTIONS §9). Services
 * and repositories move a row only along these edges; a conditional UPDATE takes its `WHERE
 * status = ANY(…)` from `sourcesOf`, so two processes racing on one row cannot both move it.
 *
 *   queued → running → succeeded | failed | cancelled
 *   running → queued          (the lease expired: the worker died; re-queued while attempts remain)
 *   queued  → cancelled | failed
 */
export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ComputeJobStatus = (typeof JOB_STATUSES)[number];

export const JOB_TRANSITIONS: Readonly<Record<ComputeJobStatus, readonly ComputeJobStatus[]>> = {
  queued: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled', 'queued'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/**
 * An output in the airlock: `pending` until every contributing trust has approved it (then
 * `released`) or any has rejected it (`rejected`); `withdrawn` when its project or the trust's
 * grant ended before release (its bytes are purged).
 */
export const OUTPUT_STATUSES = ['pending', 'released', 'rejected', 'withdrawn'] as const;
export type OutputStatus = (typeof OUTPUT_STATUSES)[number];

export const OUTPUT_TRANSITIONS: Readonly<Record<OutputStatus, readonly OutputStatus[]>> = {
  pending: ['released', 'rejected', 'withdrawn'],
  released: [],
  rejected: [],
  withdrawn: [],
};

/** Why a job failed beyond the sandbox's own failure codes. */
export type StationFailureCode = 'worker_lost' | 'project_not_active' | 'internal_error';

export function assertTransition<S extends string>(table: Readonly<Record<S, readonly S[]>>, from: S, to: S): void {
  if (!table[from].includes(to)) throw new DomainError('invalid_transition', `cannot move from ${from} to ${to}`);
}

/** Statuses from which `to` may be reached. */
export function sourcesOf<S extends string>(table: Readonly<Record<S, readonly S[]>>, to: S): S[] {
  return (Object.keys(table) as S[]).filter((s) => table[s].includes(to));
}

export function isTerminalJob(s: ComputeJobStatus): boolean {
  return JOB_TRANSITIONS[s].length === 0;
}
