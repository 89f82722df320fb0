/**
 * Audit actions of the compute context (declaration merging into `@harbour/audit`'s catalogue).
 * Payloads carry ids, hashes, enumerated codes and counts only: never code, parameters, output
 * names or contents, the job's error text or a guardian's reason.
 */
declare module '@harbour/audit' {
  interface AuditPayloads {
    /** A partner submitted a job (target: the job). */
    'compute.job_submitted': { jobId: string; codeSha256: string; language: string; outputs: number; paramsSha256: string };
    /** A worker started a run of the job (one entry per attempt). */
    'compute.job_started': { jobId: string; attempt: number; trustIds: readonly string[]; patients: number; records: number };
    /** A run ended (succeeded, failed, cancelled); usage in whole figures. */
    'compute.job_finished': {
      jobId: string;
      status: string;
      failure: string | null;
      attempt: number;
      outputs: number;
      wallMs: number;
      cpuMs: number;
      recordsRead: number;
      patientsRead: number;
    };
    /** A run's worker stopped renewing its lease: the job was queued again. */
    'compute.job_requeued': { jobId: string; attempt: number; reason: 'lease_expired' | 'worker_error' };
    /** The partner cancelled the job. */
    'compute.job_cancelled': { jobId: string; previousStatus: string };
    /** A project (or one trust's grant) ended: its queued and running jobs were cancelled, unreleased outputs withdrawn. */
    'compute.project_jobs_cancelled': {
      reason: string;
      projectEnded: boolean;
      trustIds: readonly string[];
      jobsCancelled: number;
      outputsWithdrawn: number;
    };
    /** The airlock's automatic checks ran on an output (target: the output). */
    'airlock.output_checked': {
      jobId: string;
      sha256: string;
      kind: string;
      sizeBytes: number;
      worst: string | null;
      block: number;
      warn: number;
      info: number;
      codes: readonly string[];
    };
    /** A guardian reviewed an output for their trust. */
    'airlock.output_reviewed': { decision: 'approve' | 'reject'; sha256: string; approvals: number; required: number; outcome: string };
    /** Every contributing trust approved: the output may leave the station. */
    'airlock.output_released': { jobId: string; sha256: string; trustIds: readonly string[] };
    /** A reviewer opened an output's content for review. */
    'airlock.output_viewed': { sha256: string; status: string };
    /** The partner downloaded a released output. */
    'airlock.output_downloaded': { jobId: string; sha256: string; sizeBytes: number };
    /** A trust's airlock policy changed. */
    'airlock.policy_set': { reviewersRequired: number };
  }
}
export {};
