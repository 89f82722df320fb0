import type { Finding } from '../airlock/airlock-checks.js';
import type { JobRow, JobSummaryRow, OutputRow, ReviewRow } from './compute.repository.js';
import type { ComputeJobStatus, OutputStatus } from './job-workflow.js';

/** An output as listed with its job (partner and guardian). */
export interface JobOutputView {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly contentType: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly status: OutputStatus;
  readonly createdAt: Date;
  readonly decidedAt: Date | null;
  /** A rejection's reasons, for the partner to act on. */
  readonly rejections?: readonly { readonly trustId: string; readonly reason: string }[];
}

/** A job as the API returns it. `guestError` only for guardians of a trust in the job's scope. */
export interface JobView {
  readonly id: string;
  readonly projectId: string;
  readonly status: ComputeJobStatus;
  readonly language: 'js' | 'ts';
  readonly entry: string | null;
  readonly codeSha256: string;
  readonly params: unknown;
  readonly declaredOutputs: readonly string[];
  readonly submittedBy: string;
  readonly attempts: number;
  readonly failure: string | null;
  readonly reason: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly provenance: unknown;
  readonly outputs: readonly JobOutputView[];
  readonly code?: string;
  readonly guestError?: unknown;
}

/** An output in the airlock, with its findings and reviews (reviewers only). */
export interface AirlockOutputView extends JobOutputView {
  readonly jobId: string;
  readonly projectId: string;
  readonly projectTitle: string | null;
  readonly mediaType: string;
  /** Automatic findings; `location` repeats `column` for the console. */
  readonly findings: readonly (Finding & { readonly location?: string })[];
  readonly worstSeverity: string | null;
  readonly trustIds: readonly string[];
  /** Per contributing trust: approvals of these bytes so far and approvals required. */
  readonly approvals: readonly {
    readonly trustId: string;
    readonly approvals: number;
    readonly required: number;
    readonly rejected: boolean;
  }[];
  readonly reviews: readonly {
    readonly reviewerId: string;
    readonly trustId: string;
    readonly decision: 'approve' | 'reject';
    readonly reason: string;
    readonly sha256: string;
    readonly createdAt: Date;
  }[];
}

export function outputView(o: OutputRow, reviews: readonly ReviewRow[] = []): JobOutputView {
  const rejections = reviews
    .filter((r) => r.output_id === o.id && r.decision === 'reject')
    .map((r) => ({ trustId: r.trust_id, reason: r.reason }));
  return {
    id: o.id,
    name: o.name,
    kind: o.kind,
    contentType: o.mime,
    sizeBytes: Number(o.size_bytes),
    sha256: o.sha256,
    status: o.status,
    createdAt: o.created_at,
    decidedAt: o.decided_at,
    ...(rejections.length > 0 ? { rejections } : {}),
  };
}

export function jobView(
  j: JobRow | JobSummaryRow,
  outputs: readonly OutputRow[],
  reviews: readonly ReviewRow[],
  opts: { guardian: boolean; code?: boolean },
): JobView {
  return {
    id: j.id,
    projectId: j.project_id,
    status: j.status,
    language: j.language,
    entry: j.entry,
    codeSha256: j.code_sha256,
    params: j.params,
    declaredOutputs: j.declared_outputs,
    submittedBy: j.submitted_by,
    attempts: j.attempts,
    failure: j.failure,
    reason: j.reason,
    createdAt: j.created_at,
    startedAt: j.started_at,
    finishedAt: j.finished_at,
    provenance: j.provenance,
    outputs: outputs.filter((o) => o.job_id === j.id).map((o) => outputView(o, reviews)),
    ...(opts.code && 'code' in j ? { code: j.code } : {}),
    ...(opts.guardian && j.guest_error ? { guestError: j.guest_error } : {}),
  };
}
