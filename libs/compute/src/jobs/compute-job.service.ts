import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError, notFound } from '@harbour/errors';
import { AuditLog, SYSTEM_ACTOR } from '@harbour/audit';
import { actorOf, type Principal } from '@harbour/auth';
import {
  AccessRepository,
  AccessService,
  ProjectLifecycleRegistry,
  type ProjectEnded,
  type ProjectLifecycleListener,
} from '@harbour/access';
import { QUEUES, JobQueue } from '@harbour/queue';
import { MAX_CODE_BYTES, prepareJobCode } from '../job-code.js';
import { isValidOutputName } from '../outputs.js';
import type { JobLanguage, JsonValue } from '../job.types.js';
import { ComputeRepository, type JobRow } from './compute.repository.js';
import { assertTransition, JOB_TRANSITIONS } from './job-workflow.js';
import { jobView, type JobView } from './job-views.js';
import { COMPUTE_OPTIONS, DEFAULT_COMPUTE_OPTIONS, type ComputeOptions } from './compute-tokens.js';

export interface SubmitJobInput {
  readonly code: string;
  readonly language: JobLanguage;
  readonly entry?: string;
  readonly params?: JsonValue;
  readonly outputs: readonly string[];
}

/** Payload of the `compute.run` queue. */
export interface ComputeRunMessage {
  readonly jobId: string;
}

const MAX_OUTPUTS = 20;
const MAX_PARAMS_BYTES = 64 * 1024;
const ENTRY = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
const LIST_LIMIT = 200;

/** How the caller relates to a project's jobs. */
type Viewer = { readonly kind: 'partner' } | { readonly kind: 'guardian'; readonly trustId: string };

/**
 * Compute jobs as partners and guardians see them: submission (checked against the project's
 * scope at that moment, recorded with its hash, audited, queued), listing, reading and
 * cancellation; and, as a project lifecycle listener, cancellation of a project's unfinished
 * jobs and withdrawal of its unreleased outputs when the project or a trust's grant ends.
 */
@Injectable()
export class ComputeJobService implements ProjectLifecycleListener, OnModuleInit {
  private readonly options: ComputeOptions;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(ComputeRepository) private readonly repo: ComputeRepository,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(AccessRepository) private readonly projects: AccessRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(ProjectLifecycleRegistry) private readonly lifecycle: ProjectLifecycleRegistry,
    @Optional() @Inject(COMPUTE_OPTIONS) options?: Partial<ComputeOptions>,
  ) {
    this.options = { ...DEFAULT_COMPUTE_OPTIONS, ...options };
  }

  onModuleInit(): void {
    this.lifecycle.register(this);
  }

  /** A partner submits a job to an active project; it is queued for a worker. */
  async submit(p: Principal, projectId: string, input: SubmitJobInput): Promise<JobView> {
    const outputs = validateSubmission(input);
    const prepared = await prepareJobCode(input.code, input.language);
    if (!prepared.ok) throw new DomainError('validation_failed', prepared.message);
    // The project must be active with the caller as its partner (and member) now; asked again at run start.
    const scope = await this.access.activeScope(p, projectId);
    const params = input.params ?? null;
    const row = await this.db.run(async () => {
      const job = await this.repo.insertJob({
        id: randomUUID(),
        projectId,
        partnerId: scope.partnerId,
        submittedBy: p.id,
        language: input.language,
        entry: input.entry ?? null,
        code: input.code,
        codeSha256: prepared.codeSha256,
        params,
        declaredOutputs: outputs,
        scopeTrustIds: scope.trustIds,
        maxAttempts: this.options.maxAttempts,
      });
      await this.audit.append({
        action: 'compute.job_submitted',
        actor: actorOf(p),
        target: { type: 'compute_job', id: job.id },
        projectId,
        payload: {
          jobId: job.id,
          codeSha256: prepared.codeSha256,
          language: input.language,
          outputs: outputs.length,
          paramsSha256: createHash('sha256').update(JSON.stringify(params)).digest('hex'),
        },
      });
      return job;
    });
    await this.enqueue(row.id);
    return jobView(row, [], [], { guardian: false, code: true });
  }

  /** Hand a job to the queue. Best effort after the commit: the sweeper re-sends a queued job nobody took. */
  async enqueue(jobId: string): Promise<void> {
    try {
      await this.queue.send(QUEUES.computeJob, { jobId } satisfies ComputeRunMessage, { singletonKey: jobId });
    } catch {
      // The queue is down or not started in this process: the job stays queued and is re-sent.
    }
  }

  async list(p: Principal, projectId: string): Promise<JobView[]> {
    const viewer = await this.viewer(p, projectId);
    const jobs = await this.repo.jobsOfProject(projectId, {
      limit: LIST_LIMIT,
      ...(viewer.kind === 'guardian' ? { trustId: viewer.trustId } : {}),
    });
    const outputs = await this.repo.outputsOfJobs(jobs.map((j) => j.id));
    const reviews = await this.repo.reviews(outputs.filter((o) => o.status === 'rejected').map((o) => o.id));
    return jobs.map((j) => jobView(j, outputs, reviews, { guardian: viewer.kind === 'guardian' }));
  }

  async get(p: Principal, projectId: string, jobId: string): Promise<JobView> {
    const viewer = await this.viewer(p, projectId);
    const job = await this.repo.jobOfProject(projectId, jobId);
    if (!job || !this.jobVisible(viewer, job)) throw notFound('job');
    const outputs = await this.repo.outputsOfJobs([job.id]);
    const reviews = await this.repo.reviews(outputs.filter((o) => o.status === 'rejected').map((o) => o.id));
    return jobView(job, outputs, reviews, { guardian: viewer.kind === 'guardian', code: true });
  }

  /** The partner cancels a queued or running job; a running one stops at its next heartbeat. */
  async cancel(p: Principal, projectId: string, jobId: string): Promise<JobView> {
    const viewer = await this.viewer(p, projectId);
    if (viewer.kind !== 'partner') throw notFound('job');
    await this.db.run(async () => {
      const job = await this.repo.lockJob(jobId);
      if (!job || job.project_id !== projectId) throw notFound('job');
      assertTransition(JOB_TRANSITIONS, job.status, 'cancelled');
      await this.repo.finish(job.id, {
        status: 'cancelled',
        failure: 'cancelled',
        reason: 'cancelled by the partner',
        guestError: undefined,
        provenance: undefined,
      });
      await this.audit.append({
        action: 'compute.job_cancelled',
        actor: actorOf(p),
        target: { type: 'compute_job', id: job.id },
        projectId,
        payload: { jobId: job.id, previousStatus: job.status },
      });
    });
    return this.get(p, projectId, jobId);
  }

  /**
   * The project (or some trusts' grants) ended: cancel its queued and running jobs (those whose
   * scope included an ended trust) and withdraw outputs not yet released that used such data.
   * Runs in the transaction that ends the grant; running jobs stop at their next heartbeat and
   * their outputs are discarded. Withdrawn outputs' bytes are purged by the sweeper.
   */
  async onProjectEnded(e: ProjectEnded): Promise<void> {
    const trustIds = e.projectEnded ? undefined : e.trustIds;
    const jobs = await this.repo.lockActiveJobsOfProject(e.projectId, trustIds);
    for (const j of jobs) {
      assertTransition(JOB_TRANSITIONS, j.status, 'cancelled');
      await this.repo.finish(j.id, {
        status: 'cancelled',
        failure: 'project_not_active',
        reason: `project ${e.reason}`,
        guestError: undefined,
        provenance: undefined,
      });
    }
    const withdrawn = await this.repo.withdrawPending(e.projectId, trustIds);
    if (jobs.length === 0 && withdrawn.length === 0) return;
    await this.audit.append({
      action: 'compute.project_jobs_cancelled',
      actor: SYSTEM_ACTOR,
      target: { type: 'project', id: e.projectId },
      projectId: e.projectId,
      payload: {
        reason: e.reason,
        projectEnded: e.projectEnded,
        trustIds: [...e.trustIds],
        jobsCancelled: jobs.length,
        outputsWithdrawn: withdrawn.length,
      },
    });
  }

  private jobVisible(viewer: Viewer, job: JobRow): boolean {
    return viewer.kind === 'partner' || job.scope_trust_ids.includes(viewer.trustId);
  }

  /** The project's partner (a listed member, when members are listed) or a guardian of one of its trusts; anyone else: 404. */
  private async viewer(p: Principal, projectId: string): Promise<Viewer> {
    const project = await this.projects.get(projectId);
    if (!project || project.status === 'draft') throw notFound('project');
    if (p.partnerId !== undefined && p.partnerId === project.partner_id) {
      if (project.members.length > 0 && p.kind === 'user' && !project.members.includes(p.id)) throw notFound('project');
      return { kind: 'partner' };
    }
    if (p.trustId !== undefined && p.roles.includes('guardian')) {
      const trusts = await this.projects.trusts(projectId);
      if (trusts.some((t) => t.trust_id === p.trustId)) return { kind: 'guardian', trustId: p.trustId };
    }
    throw notFound('project');
  }
}

function validateSubmission(input: SubmitJobInput): string[] {
  if (input.language !== 'js' && input.language !== 'ts') throw new DomainError('validation_failed', 'language must be js or ts');
  if (typeof input.code !== 'string' || input.code.trim() === '') throw new DomainError('validation_failed', 'code is required');
  if (Buffer.byteLength(input.code, 'utf8') > MAX_CODE_BYTES)
    throw new DomainError('payload_too_large', `code is larger than ${MAX_CODE_BYTES} bytes`);
  if (input.entry !== undefined && !ENTRY.test(input.entry)) throw new DomainError('validation_failed', 'entry must be an identifier');
  if (!Array.isArray(input.outputs) || input.outputs.length === 0 || input.outputs.length > MAX_OUTPUTS) {
    throw new DomainError('validation_failed', `declare 1 to ${MAX_OUTPUTS} outputs`);
  }
  for (const name of input.outputs) {
    if (typeof name !== 'string' || !isValidOutputName(name))
      throw new DomainError('validation_failed', 'an output name is not valid (letters, digits, . _ -)');
  }
  if (new Set(input.outputs).size !== input.outputs.length) throw new DomainError('validation_failed', 'output names must be unique');
  if (input.params !== undefined && Buffer.byteLength(JSON.stringify(input.params), 'utf8') > MAX_PARAMS_BYTES) {
    throw new DomainError('payload_too_large', `params are larger than ${MAX_PARAMS_BYTES} bytes`);
  }
  return [...input.outputs];
}
