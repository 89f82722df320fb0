import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { JOB_TRANSITIONS, OUTPUT_TRANSITIONS, sourcesOf, type ComputeJobStatus, type OutputStatus } from './job-workflow.js';

export interface JobRow {
  id: string;
  project_id: string;
  partner_id: string;
  submitted_by: string;
  language: 'js' | 'ts';
  entry: string | null;
  code: string;
  code_sha256: string;
  params: unknown;
  declared_outputs: string[];
  status: ComputeJobStatus;
  scope_trust_ids: string[];
  failure: string | null;
  reason: string | null;
  guest_error: unknown;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  heartbeat_at: Date | null;
  enqueued_at: Date;
  provenance: unknown;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A job row without its code (lists). */
export type JobSummaryRow = Omit<JobRow, 'code'>;

export interface OutputRow {
  id: string;
  job_id: string;
  project_id: string;
  partner_id: string;
  name: string;
  kind: string;
  mime: string;
  size_bytes: string;
  sha256: string;
  object_key: string | null;
  findings: unknown;
  worst_severity: string | null;
  status: OutputStatus;
  trust_ids: string[];
  created_at: Date;
  decided_at: Date | null;
}

export interface ReviewRow {
  id: string;
  output_id: string;
  trust_id: string;
  reviewer_id: string;
  decision: 'approve' | 'reject';
  reason: string;
  sha256: string;
  created_at: Date;
}

export interface NewJob {
  id: string;
  projectId: string;
  partnerId: string;
  submittedBy: string;
  language: 'js' | 'ts';
  entry: string | null;
  code: string;
  codeSha256: string;
  params: unknown;
  declaredOutputs: readonly string[];
  scopeTrustIds: readonly string[];
  maxAttempts: number;
}

export interface NewOutput {
  id: string;
  jobId: string;
  projectId: string;
  partnerId: string;
  name: string;
  kind: string;
  mime: string;
  sizeBytes: number;
  sha256: string;
  objectKey: string;
  findings: unknown;
  worstSeverity: string | null;
  trustIds: readonly string[];
}

export interface JobEnd {
  status: Extract<ComputeJobStatus, 'succeeded' | 'failed' | 'cancelled'>;
  failure: string | null;
  reason: string | null;
  guestError: unknown;
  provenance: unknown;
}

const SUMMARY_COLUMNS =
  'id, project_id, partner_id, submitted_by, language, entry, code_sha256, params, declared_outputs, status, scope_trust_ids, failure, reason, ' +
  'guest_error, attempts, max_attempts, lease_owner, lease_expires_at, heartbeat_at, enqueued_at, provenance, created_at, started_at, finished_at';

/** The only SQL of compute jobs and the airlock. Partner- and trust-owned reads take the owner's id. */
@Injectable()
export class ComputeRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async insertJob(j: NewJob): Promise<JobRow> {
    const [row] = await this.db.query<JobRow>(
      `INSERT INTO compute.job (id, project_id, partner_id, submitted_by, language, entry, code, code_sha256, params, declared_outputs, status, ` +
        `scope_trust_ids, max_attempts, enqueued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, 'queued', $11::uuid[], $12, now()) RETURNING *`,
      [
        j.id,
        j.projectId,
        j.partnerId,
        j.submittedBy,
        j.language,
        j.entry,
        j.code,
        j.codeSha256,
        JSON.stringify(j.params ?? null),
        JSON.stringify(j.declaredOutputs),
        j.scopeTrustIds,
        j.maxAttempts,
      ],
    );
    return row!;
  }

  async job(jobId: string): Promise<JobRow | undefined> {
    const [row] = await this.db.query<JobRow>(`SELECT * FROM compute.job WHERE id = $1`, [jobId]);
    return row;
  }

  /** A project's job, as its partner or a guardian sees it: the project id is part of the key. */
  async jobOfProject(projectId: string, jobId: string): Promise<JobRow | undefined> {
    const [row] = await this.db.query<JobRow>(`SELECT * FROM compute.job WHERE id = $1 AND project_id = $2`, [jobId, projectId]);
    return row;
  }

  async lockJob(jobId: string): Promise<JobRow | undefined> {
    const [row] = await this.db.query<JobRow>(`SELECT * FROM compute.job WHERE id = $1 FOR UPDATE`, [jobId]);
    return row;
  }

  /** Jobs of a project; with `trustId`, only those whose scope included that trust (a guardian's view). */
  async jobsOfProject(projectId: string, opts: { trustId?: string; limit: number }): Promise<JobSummaryRow[]> {
    return this.db.query<JobSummaryRow>(
      `SELECT ${SUMMARY_COLUMNS} FROM compute.job WHERE project_id = $1 AND ($2::uuid IS NULL OR $2::uuid = ANY(scope_trust_ids)) ` +
        `ORDER BY created_at DESC, id LIMIT $3`,
      [projectId, opts.trustId ?? null, opts.limit],
    );
  }

  /**
   * Take the run: queued → running (or a run whose lease expired, left by a dead worker), with a
   * fresh lease. One statement, so of several workers handed the same job exactly one wins.
   */
  async claim(jobId: string, owner: string, leaseMs: number): Promise<JobRow | undefined> {
    const [row] = await this.db.query<JobRow>(
      `UPDATE compute.job SET status = 'running', attempts = attempts + 1, lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3::double precision / 1000), ` +
        `heartbeat_at = now(), started_at = now(), finished_at = NULL WHERE id = $1 AND attempts < max_attempts ` +
        `AND (status = ANY($4::text[]) OR (status = 'running' AND lease_expires_at < now())) RETURNING *`,
      [jobId, owner, leaseMs, sourcesOf(JOB_TRANSITIONS, 'running')],
    );
    return row;
  }

  /** Renew the lease; false when the run is no longer this worker's (cancelled, or re-queued by the sweeper). */
  async heartbeat(jobId: string, owner: string, leaseMs: number): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE compute.job SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000), heartbeat_at = now() ` +
        `WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING id`,
      [jobId, owner, leaseMs],
    );
    return rows.length > 0;
  }

  async setRunScope(jobId: string, owner: string, trustIds: readonly string[], provenance: unknown): Promise<void> {
    await this.db.query(`UPDATE compute.job SET scope_trust_ids = $3::uuid[], provenance = $4::jsonb WHERE id = $1 AND lease_owner = $2`, [
      jobId,
      owner,
      trustIds,
      JSON.stringify(provenance),
    ]);
  }

  /** End a job (the caller holds its row lock and checked the transition). */
  async finish(jobId: string, end: JobEnd): Promise<void> {
    await this.db.query(
      `UPDATE compute.job SET status = $2, failure = $3, reason = $4, guest_error = $5::jsonb, provenance = COALESCE($6::jsonb, provenance), ` +
        `lease_owner = NULL, lease_expires_at = NULL, finished_at = now() WHERE id = $1`,
      [
        jobId,
        end.status,
        end.failure,
        end.reason,
        end.guestError === undefined ? null : JSON.stringify(end.guestError),
        end.provenance === undefined ? null : JSON.stringify(end.provenance),
      ],
    );
  }

  /** Back to the queue (the caller holds the row lock). */
  async requeue(jobId: string): Promise<void> {
    await this.db.query(
      `UPDATE compute.job SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, enqueued_at = now() WHERE id = $1`,
      [jobId],
    );
  }

  /** Running jobs whose worker stopped renewing the lease, locked for the sweeper (others skip them). */
  async lockStaleLeases(limit: number): Promise<JobRow[]> {
    return this.db.query<JobRow>(
      `SELECT * FROM compute.job WHERE status = 'running' AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  }

  /** Queued jobs not handed to the queue for a while (a lost enqueue, or re-queued by the sweeper): marks them sent again. */
  async touchStaleQueued(olderThanMs: number, limit: number): Promise<{ id: string }[]> {
    return this.db.query<{ id: string }>(
      `UPDATE compute.job SET enqueued_at = now() WHERE id IN (SELECT id FROM compute.job WHERE status = 'queued' ` +
        `AND enqueued_at < now() - make_interval(secs => $1::double precision / 1000) ORDER BY enqueued_at LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING id`,
      [olderThanMs, limit],
    );
  }

  /** Lock a project's unfinished jobs (optionally only those whose scope includes one of `trustIds`). */
  async lockActiveJobsOfProject(projectId: string, trustIds?: readonly string[]): Promise<JobRow[]> {
    return this.db.query<JobRow>(
      `SELECT * FROM compute.job WHERE project_id = $1 AND status IN ('queued', 'running') ` +
        `AND ($2::uuid[] IS NULL OR scope_trust_ids && $2::uuid[]) FOR UPDATE`,
      [projectId, trustIds ?? null],
    );
  }

  // ---------------------------------------------------------------- members (who a run was served)

  /** Record the persons a run served, one row per trust of its plan (the caller holds the job's row lock). */
  async insertJobMembers(jobId: string, members: readonly { trustId: string; personIds: readonly string[] }[]): Promise<void> {
    if (members.length === 0) return;
    await this.db.query(
      `INSERT INTO compute.job_member (job_id, trust_id, person_ids) ` +
        `SELECT $1::uuid, m.trust_id, ARRAY(SELECT jsonb_array_elements_text(m.person_ids)::uuid) ` +
        `FROM jsonb_to_recordset($2::jsonb) AS m(trust_id uuid, person_ids jsonb)`,
      [jobId, JSON.stringify(members.map((m) => ({ trust_id: m.trustId, person_ids: m.personIds })))],
    );
  }

  /** Persons each trust contributed to a job's run (metering), in trust order; empty before members were recorded. */
  async jobContributions(jobId: string): Promise<{ trustId: string; patients: number }[]> {
    return this.db.query<{ trustId: string; patients: number }>(
      `SELECT trust_id AS "trustId", cardinality(person_ids)::int AS patients FROM compute.job_member WHERE job_id = $1 ORDER BY trust_id`,
      [jobId],
    );
  }

  // ---------------------------------------------------------------- outputs

  async insertOutputs(rows: readonly NewOutput[]): Promise<void> {
    for (const o of rows) {
      await this.db.query(
        `INSERT INTO compute.output (id, job_id, project_id, partner_id, name, kind, mime, size_bytes, sha256, object_key, findings, worst_severity, status, trust_ids) ` +
          `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, 'pending', $13::uuid[])`,
        [
          o.id,
          o.jobId,
          o.projectId,
          o.partnerId,
          o.name,
          o.kind,
          o.mime,
          o.sizeBytes,
          o.sha256,
          o.objectKey,
          JSON.stringify(o.findings),
          o.worstSeverity,
          o.trustIds,
        ],
      );
    }
  }

  async output(outputId: string): Promise<OutputRow | undefined> {
    const [row] = await this.db.query<OutputRow>(`SELECT * FROM compute.output WHERE id = $1`, [outputId]);
    return row;
  }

  async lockOutput(outputId: string): Promise<OutputRow | undefined> {
    const [row] = await this.db.query<OutputRow>(`SELECT * FROM compute.output WHERE id = $1 FOR UPDATE`, [outputId]);
    return row;
  }

  /** A partner's output of one of its projects. */
  async outputOfProject(partnerId: string, projectId: string, outputId: string): Promise<OutputRow | undefined> {
    const [row] = await this.db.query<OutputRow>(`SELECT * FROM compute.output WHERE id = $1 AND project_id = $2 AND partner_id = $3`, [
      outputId,
      projectId,
      partnerId,
    ]);
    return row;
  }

  async outputsOfJobs(jobIds: readonly string[]): Promise<OutputRow[]> {
    if (jobIds.length === 0) return [];
    return this.db.query<OutputRow>(`SELECT * FROM compute.output WHERE job_id = ANY($1::uuid[]) ORDER BY created_at, name`, [jobIds]);
  }

  /** Outputs whose data came from a trust (a guardian's airlock), newest first. */
  async outputsOfTrust(trustId: string, statuses: readonly OutputStatus[] | undefined, limit: number): Promise<OutputRow[]> {
    return this.db.query<OutputRow>(
      `SELECT * FROM compute.output WHERE $1::uuid = ANY(trust_ids) AND ($2::text[] IS NULL OR status = ANY($2::text[])) ORDER BY created_at DESC, id LIMIT $3`,
      [trustId, statuses ?? null, limit],
    );
  }

  async setOutputStatus(outputId: string, to: OutputStatus): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE compute.output SET status = $2, decided_at = now() WHERE id = $1 AND status = ANY($3::text[]) RETURNING id`,
      [outputId, to, sourcesOf(OUTPUT_TRANSITIONS, to)],
    );
    return rows.length > 0;
  }

  /** Withdraw the pending outputs of a project (optionally only those using data of `trustIds`); returns them. */
  async withdrawPending(projectId: string, trustIds?: readonly string[]): Promise<OutputRow[]> {
    return this.db.query<OutputRow>(
      `UPDATE compute.output SET status = 'withdrawn', decided_at = now() WHERE project_id = $1 AND status = 'pending' ` +
        `AND ($2::uuid[] IS NULL OR trust_ids && $2::uuid[]) RETURNING *`,
      [projectId, trustIds ?? null],
    );
  }

  /** Withdrawn outputs whose bytes are still stored (the sweeper purges them). */
  async unpurgedWithdrawn(limit: number): Promise<OutputRow[]> {
    return this.db.query<OutputRow>(`SELECT * FROM compute.output WHERE status = 'withdrawn' AND object_key IS NOT NULL LIMIT $1`, [limit]);
  }

  async markPurged(outputId: string): Promise<void> {
    await this.db.query(`UPDATE compute.output SET object_key = NULL WHERE id = $1 AND status = 'withdrawn'`, [outputId]);
  }

  /** Who submitted each job (reviewers must differ). */
  async submitters(jobIds: readonly string[]): Promise<Map<string, string>> {
    if (jobIds.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; submitted_by: string }>(
      `SELECT id, submitted_by FROM compute.job WHERE id = ANY($1::uuid[])`,
      [[...new Set(jobIds)]],
    );
    return new Map(rows.map((r) => [r.id, r.submitted_by]));
  }

  // ---------------------------------------------------------------- reviews and policy

  async reviews(outputIds: readonly string[]): Promise<ReviewRow[]> {
    if (outputIds.length === 0) return [];
    return this.db.query<ReviewRow>(`SELECT * FROM compute.output_review WHERE output_id = ANY($1::uuid[]) ORDER BY created_at, id`, [
      outputIds,
    ]);
  }

  async insertReview(r: Omit<ReviewRow, 'created_at'>): Promise<ReviewRow> {
    const [row] = await this.db.query<ReviewRow>(
      `INSERT INTO compute.output_review (id, output_id, trust_id, reviewer_id, decision, reason, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [r.id, r.output_id, r.trust_id, r.reviewer_id, r.decision, r.reason, r.sha256],
    );
    return row!;
  }

  /** Reviewers each trust requires (absent = 1). */
  async reviewersRequired(trustIds: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.db.query<{ trust_id: string; reviewers_required: number }>(
      `SELECT trust_id, reviewers_required FROM compute.airlock_policy WHERE trust_id = ANY($1::uuid[])`,
      [trustIds],
    );
    const out = new Map<string, number>(trustIds.map((t) => [t, 1]));
    for (const r of rows) out.set(r.trust_id, r.reviewers_required);
    return out;
  }

  async setReviewersRequired(trustId: string, n: number): Promise<void> {
    await this.db.query(
      `INSERT INTO compute.airlock_policy (trust_id, reviewers_required) VALUES ($1, $2) ` +
        `ON CONFLICT (trust_id) DO UPDATE SET reviewers_required = EXCLUDED.reviewers_required, updated_at = now()`,
      [trustId, n],
    );
  }

  /** ODS codes of trusts (the cohort's `trustCode`). */
  async trustCodes(trustIds: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db.query<{ id: string; ods_code: string }>(
      `SELECT id, ods_code FROM identity.trust WHERE id = ANY($1::uuid[])`,
      [trustIds],
    );
    return new Map(rows.map((r) => [r.id, r.ods_code]));
  }

  /** Project titles for views. */
  async projectTitles(projectIds: readonly string[]): Promise<Map<string, string>> {
    if (projectIds.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; title: string }>(`SELECT id, title FROM access.request WHERE id = ANY($1::uuid[])`, [
      projectIds,
    ]);
    return new Map(rows.map((r) => [r.id, r.title]));
  }
}
