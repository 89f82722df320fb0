import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { DomainError } from '@harbour/errors';
import { AuditLog, SYSTEM_ACTOR, type AuditInput } from '@harbour/audit';
import { permissionsOf, systemPrincipal } from '@harbour/auth';
import { AccessService, type ProjectScope } from '@harbour/access';
import { OptOutRepository } from '@harbour/consent';
import { EHR_DEID_PROFILE_VERSION } from '@harbour/deid-ehr';
import { DICOM_DEID_PROFILE_VERSION } from '@harbour/deid-dicom';
import { deriveProjectKeys, PSEUDONYMISATION_SCHEME_VERSION } from '@harbour/pseudonymisation';
import type { ObjectStore } from '@harbour/storage';
import { TrustKeyRing } from '@harbour/vault';
import { runJob } from '../run-job.js';
import { checkOutput, DEFAULT_AIRLOCK_CONTEXT, worstSeverity } from '../airlock/airlock-checks.js';
import type { JobRunResult, JsonValue } from '../job.types.js';
import { ComputeRepository, type JobRow, type NewOutput } from './compute.repository.js';
import { ProjectDataRepository } from './project-data.repository.js';
import { ProjectJobDataSource, type JobImagingReader, type RunDataPlan } from './project-data-source.js';
import { ImagingRetrievalService } from '@harbour/imaging';

import type { DicomStudyRecord } from '../data-source.js';
import { assertTransition, JOB_TRANSITIONS } from './job-workflow.js';
import { ComputeJobService } from './compute-job.service.js';
import { COMPUTE_OBJECT_STORE, COMPUTE_OPTIONS, DEFAULT_COMPUTE_OPTIONS, type ComputeOptions } from './compute-tokens.js';
import { ComputeMetering, computeMinutes } from './compute-metering.js';

/** Who a run was served (per trust of its plan) and what each trust contributed to it, for the end of the run. */
interface RunMembers {
  readonly members: readonly { trustId: string; personIds: readonly string[] }[];
  readonly contributions: readonly { trustId: string; patients: number }[];
}

/** Version of the rules deciding what a run may read and how its outputs are checked (bump on change). */
export const COMPUTE_POLICY_VERSION = 'harbour-compute-policy-1';

/** Object key prefix of one attempt's outputs: a dead attempt's leftovers are deleted by prefix. */
export function attemptPrefix(job: Pick<JobRow, 'project_id' | 'id'>, attempt: number): string {
  return `compute/${job.project_id}/${job.id}/a${attempt}/`;
}

type RunOutcome = 'finished' | 'skipped' | 'lost' | 'requeued';

/**
 * Runs queued jobs (the worker's `compute.run` handler) and sweeps up after dead workers.
 *
 * A run holds a **lease** on its job row (`lease_owner`, `lease_expires_at`) renewed by a
 * heartbeat. Taking the job is one conditional UPDATE, so one worker wins however often the
 * queue delivers it. The heartbeat also carries cancellation: when it finds the row no longer
 * running under its lease (cancelled by the partner, revoked with the project, or taken back by
 * the sweeper) it aborts the sandbox. The end of a run is one transaction that re-checks the
 * lease under a row lock, writes the outputs' rows and findings and the job's end together,
 * with the audit entries: a run is never half-recorded, and the outputs of a run that lost its
 * lease are discarded. A worker killed mid-run stops renewing its lease; the **sweeper** (every
 * worker, every `sweepIntervalMs`) re-queues such jobs while attempts remain, else fails them
 * with `worker_lost`, and deletes the dead attempt's stored bytes.
 */
@Injectable()
export class ComputeJobRunner implements OnModuleDestroy {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly options: ComputeOptions;
  private readonly running = new Map<string, AbortController>();
  private sweeper: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(ComputeRepository) private readonly repo: ComputeRepository,
    @Inject(ProjectDataRepository) private readonly data: ProjectDataRepository,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(TrustKeyRing) private readonly keyRing: TrustKeyRing,
    @Inject(KEY_MATERIAL) private readonly keyMaterial: KeyMaterial,
    @Inject(OptOutRepository) private readonly optOuts: OptOutRepository,
    @Inject(COMPUTE_OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(ComputeJobService) private readonly jobs: ComputeJobService,
    @Inject(ComputeMetering) private readonly metering: ComputeMetering,
    @Optional() @Inject(COMPUTE_OPTIONS) options?: Partial<ComputeOptions>,
    @Optional() @Inject(ImagingRetrievalService) private readonly imaging?: ImagingRetrievalService,
  ) {
    this.options = { ...DEFAULT_COMPUTE_OPTIONS, ...options };
  }

  /** Start the periodic sweeper in this process (the worker does; API processes need not). */
  startSweeper(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), this.options.sweepIntervalMs);
    this.sweeper.unref();
  }

  /** Shutting down: stop sweeping and abort running jobs; their leases are handed back to the queue. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const c of this.running.values()) c.abort();
    for (let i = 0; i < 100 && this.running.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
  }

  /** Run one job if it is this worker's to run (the `compute.run` handler). Idempotent per delivery. */
  async process(jobId: string): Promise<RunOutcome> {
    if (this.stopping) throw new Error('worker stopping'); // pg-boss retries it elsewhere
    const job = await this.repo.claim(jobId, this.workerId, this.options.leaseMs);
    if (!job) return 'skipped';
    const controller = new AbortController();
    this.running.set(job.id, controller);
    const heartbeat = setInterval(() => {
      void this.repo.heartbeat(job.id, this.workerId, this.options.leaseMs).then(
        (mine) => mine || controller.abort(),
        () => undefined, // a missed beat: the lease is long enough for the next
      );
    }, this.options.heartbeatMs);
    try {
      return await this.run(job, controller.signal);
    } catch {
      // An infrastructure failure (database, object store): hand the job back rather than leave it running.
      await this.giveBack(job);
      return 'requeued';
    } finally {
      clearInterval(heartbeat);
      this.running.delete(job.id);
    }
  }

  private async run(job: JobRow, signal: AbortSignal): Promise<RunOutcome> {
    const startedAt = new Date();
    let scope: ProjectScope;
    try {
      // The station checks the project again at the start of every run: revoked, expired or
      // closed since submission means no run.
      scope = await this.access.activeScope(systemPrincipal([]), job.project_id);
      if (scope.partnerId !== job.partner_id) throw new DomainError('not_found', 'project');
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return (await this.end(
        job,
        { status: 'failed', failure: 'project_not_active', reason: 'the project is not active' },
        [],
        undefined,
        undefined,
      ))
        ? 'finished'
        : 'lost';
    }

    const codes = await this.repo.trustCodes(scope.trustIds);
    const plan: RunDataPlan = {
      projectId: job.project_id,
      asOf: startedAt.toISOString().slice(0, 10),
      trusts: scope.trustIds.map((trustId) => {
        const c = scope.conditions[trustId] ?? {};
        const types = c.resourceTypes ? scope.ehrResourceTypes.filter((t) => c.resourceTypes!.includes(t)) : [...scope.ehrResourceTypes];
        return {
          trustId,
          odsCode: codes.get(trustId) ?? 'unknown',
          requireStudyConsent: c.requireStudyConsent === true,
          resourceTypes: types,
        };
      }),
    };
    const decrypters = new Map<string, (b: Buffer) => Buffer>();
    for (const t of plan.trusts) decrypters.set(t.trustId, await this.keyRing.decrypter(t.trustId));
    const snapshot: {
      trustId: string;
      odsCode: string;
      patients: number;
      records: number;
      resourceTypes: readonly string[];
      requireStudyConsent: boolean;
    }[] = [];
    for (const t of plan.trusts) {
      const s = { projectId: job.project_id, trustId: t.trustId, requireStudyConsent: t.requireStudyConsent, asOf: plan.asOf };
      snapshot.push({
        trustId: t.trustId,
        odsCode: t.odsCode,
        patients: await this.data.countPatients(s),
        records: await this.data.countRecords(s, t.resourceTypes),
        resourceTypes: t.resourceTypes,
        requireStudyConsent: t.requireStudyConsent,
      });
    }
    const policy = {
      version: COMPUTE_POLICY_VERSION,
      suppressionThreshold: scope.suppressionThreshold,
      roundingBase: scope.roundingBase,
      ehrResourceTypes: scope.ehrResourceTypes,
      imagingModalities: scope.imagingModalities,
      conditions: scope.conditions,
    };
    const provenance: Record<string, unknown> = {
      codeSha256: job.code_sha256,
      language: job.language,
      entry: job.entry,
      params: job.params,
      paramsSha256: sha256(JSON.stringify(job.params ?? null)),
      declaredOutputs: job.declared_outputs,
      attempt: job.attempts,
      data: { asOf: plan.asOf, trusts: snapshot, consentListVersions: await this.optOuts.currentVersions() },
      deidentification: {
        ehrProfile: EHR_DEID_PROFILE_VERSION,
        dicomProfile: DICOM_DEID_PROFILE_VERSION,
        pseudonymisation: PSEUDONYMISATION_SCHEME_VERSION,
        dicomOptions: scope.dicomOptions,
      },
      policy: { ...policy, sha256: sha256(JSON.stringify(policy)) },
      startedAt: startedAt.toISOString(),
    };
    const started = await this.db.run(async () => {
      const current = await this.repo.lockJob(job.id);
      if (current?.status !== 'running' || current.lease_owner !== this.workerId) return false;
      await this.repo.setRunScope(job.id, this.workerId, scope.trustIds, provenance);
      await this.audit.append({
        action: 'compute.job_started',
        actor: SYSTEM_ACTOR,
        target: { type: 'compute_job', id: job.id },
        projectId: job.project_id,
        payload: {
          jobId: job.id,
          attempt: job.attempts,
          trustIds: [...scope.trustIds],
          patients: snapshot.reduce((n, s) => n + s.patients, 0),
          records: snapshot.reduce((n, s) => n + s.records, 0),
        },
      });
      return true;
    });
    if (!started) return 'lost';

    const imaging = this.imaging;
    const station = systemPrincipal(permissionsOf(['operator']));
    const imagingReader: JobImagingReader | undefined =
      imaging && scope.imagingModalities.length > 0
        ? {
            studies: async () => studiesOf(await imaging.jobInstances(station, job.project_id)),
            instanceFile: (sop) => imaging.jobInstanceFile(station, job.project_id, sop),
          }
        : undefined;
    const source = new ProjectJobDataSource(
      this.data,
      plan,
      deriveProjectKeys(this.keyMaterial.masterKey(), job.project_id),
      decrypters,
      imagingReader,
    );
    const result = await runJob({
      code: job.code,
      language: job.language,
      ...(job.entry ? { entry: job.entry } : {}),
      params: job.params as JsonValue,
      declaredOutputs: job.declared_outputs,
      dataSource: source,
      limits: this.options.limits,
      signal,
    });
    if (signal.aborted && this.stopping) {
      await this.giveBack(job);
      return 'requeued';
    }
    // Whose guardians review: the trusts the job actually read; all of the scope if it read none.
    const read = scope.trustIds.filter((t) => source.trustsRead.has(t));
    const contributing = read.length > 0 ? read : [...scope.trustIds];
    const finishedAt = new Date();
    provenance['runtime'] = result.runtime;
    provenance['limits'] = result.limits;
    provenance['usage'] = result.usage;
    provenance['finishedAt'] = finishedAt.toISOString();
    provenance['data'] = { ...(provenance['data'] as object), trustsRead: read, recordsWithheld: source.withheld };

    const outputs: NewOutput[] = [];
    const prefix = attemptPrefix(job, job.attempts);
    if (result.status === 'succeeded') {
      try {
        for (const o of result.outputs) {
          const key = `${prefix}${o.name}`;
          await this.store.put(key, Buffer.from(o.bytes));
          const findings = checkOutput(o, {
            ...DEFAULT_AIRLOCK_CONTEXT,
            suppressionThreshold: scope.suppressionThreshold,
            roundingBase: scope.roundingBase,
            patientsRead: result.usage.patientsRead,
          });
          outputs.push({
            id: randomUUID(),
            jobId: job.id,
            projectId: job.project_id,
            partnerId: job.partner_id,
            name: o.name,
            kind: o.kind,
            mime: o.mime,
            sizeBytes: o.size,
            sha256: o.sha256,
            objectKey: key,
            findings,
            worstSeverity: worstSeverity(findings) ?? null,
            trustIds: contributing,
          });
        }
      } catch (err) {
        await this.store.deletePrefix(prefix).catch(() => undefined);
        throw err;
      }
    }
    const status = result.status === 'succeeded' ? 'succeeded' : result.status === 'cancelled' ? 'cancelled' : 'failed';
    // Who the data source served, per trust: recorded with the run's end (opt-out compliance) and
    // its contribution to the bill; a run that read nobody is shared by what it was allowed to read.
    const members = source.servedPersons();
    const served = members.map((m) => ({ trustId: m.trustId, patients: m.personIds.length }));
    const runMembers: RunMembers = {
      members,
      contributions: served.some((c) => c.patients > 0) ? served : snapshot.map((x) => ({ trustId: x.trustId, patients: x.patients })),
    };
    const ended = await this.end(
      job,
      { status, failure: result.failure ?? null, reason: result.reason ?? null, guestError: result.guestError, provenance },
      outputs,
      result,
      runMembers,
    ).catch(async (err: unknown) => {
      await this.store.deletePrefix(prefix).catch(() => undefined);
      throw err;
    });
    if (!ended) {
      await this.store.deletePrefix(prefix).catch(() => undefined);
      return 'lost';
    }
    return 'finished';
  }

  /**
   * The end of a run, in one transaction: only if the job is still this worker's running job.
   * Outputs, findings, the persons the run was served, the job's end, the audit entries and the
   * run's bill (`compute.minutes`, key `compute.minutes:<jobId>:<attempt>`, when the sandbox ran
   * and the project has an agreement) commit together or not at all.
   */
  private async end(
    job: JobRow,
    e: {
      status: 'succeeded' | 'failed' | 'cancelled';
      failure: string | null;
      reason: string | null;
      guestError?: unknown;
      provenance?: unknown;
    },
    outputs: readonly NewOutput[],
    result: JobRunResult | undefined,
    run: RunMembers | undefined,
  ): Promise<boolean> {
    return this.db.run(async () => {
      const current = await this.repo.lockJob(job.id);
      if (current?.status !== 'running' || current.lease_owner !== this.workerId) return false;
      assertTransition(JOB_TRANSITIONS, current.status, e.status);
      await this.repo.insertOutputs(outputs);
      if (run) await this.repo.insertJobMembers(job.id, run.members);
      await this.repo.finish(job.id, {
        status: e.status,
        failure: e.failure,
        reason: e.reason,
        guestError: e.guestError,
        provenance: e.provenance,
      });
      const entries: AuditInput[] = [
        {
          action: 'compute.job_finished',
          actor: SYSTEM_ACTOR,
          target: { type: 'compute_job', id: job.id },
          projectId: job.project_id,
          payload: {
            jobId: job.id,
            status: e.status,
            failure: e.failure,
            attempt: current.attempts,
            outputs: outputs.length,
            wallMs: Math.round(result?.usage.wallMs ?? 0),
            cpuMs: Math.round(result?.usage.cpuMs ?? 0),
            recordsRead: result?.usage.recordsRead ?? 0,
            patientsRead: result?.usage.patientsRead ?? 0,
          },
        },
        ...outputs.map((o): AuditInput => {
          const findings = o.findings as { severity: string; code: string }[];
          const count = (s: string): number => findings.filter((f) => f.severity === s).length;
          return {
            action: 'airlock.output_checked',
            actor: SYSTEM_ACTOR,
            target: { type: 'compute_output', id: o.id },
            projectId: job.project_id,
            payload: {
              jobId: job.id,
              sha256: o.sha256,
              kind: o.kind,
              sizeBytes: o.sizeBytes,
              worst: o.worstSeverity,
              block: count('block'),
              warn: count('warn'),
              info: count('info'),
              codes: [...new Set(findings.map((f) => f.code))].sort(),
            },
          };
        }),
      ];
      let finishedEntryId = 0;
      for (const entry of entries) {
        const appended = await this.audit.append(entry);
        if (entry.action === 'compute.job_finished') finishedEntryId = appended.id;
      }
      // Bill the run only when the sandbox ran (a run refused at start, or lost with its worker, costs the partner nothing).
      if (result && run) {
        await this.metering.meter({
          idempotencyKey: `compute.minutes:${job.id}:${current.attempts}`,
          projectId: job.project_id,
          kind: 'compute.minutes',
          quantity: computeMinutes(Math.round(result.usage.wallMs)), // the wallMs of the finish entry
          occurredAt: new Date(),
          auditEntryId: finishedEntryId,
          contributions: run.contributions,
        });
      }
      return true;
    });
  }

  /** After an infrastructure error (or shutdown) mid-run: back to the queue while attempts remain, else failed. */
  private async giveBack(job: JobRow): Promise<void> {
    let requeued = false;
    await this.db
      .run(async () => {
        const current = await this.repo.lockJob(job.id);
        if (current?.status !== 'running' || current.lease_owner !== this.workerId) return;
        if (current.attempts < current.max_attempts) {
          assertTransition(JOB_TRANSITIONS, 'running', 'queued');
          await this.repo.requeue(job.id);
          requeued = true;
          await this.audit.append({
            action: 'compute.job_requeued',
            actor: SYSTEM_ACTOR,
            target: { type: 'compute_job', id: job.id },
            projectId: job.project_id,
            payload: { jobId: job.id, attempt: current.attempts, reason: 'worker_error' },
          });
        } else {
          await this.failLost(current, 'internal_error', 'the station failed to run the job');
        }
      })
      .catch(() => undefined); // the database itself is gone: the lease runs out and the sweeper acts
    await this.store.deletePrefix(attemptPrefix(job, job.attempts)).catch(() => undefined);
    if (requeued && !this.stopping) await this.jobs.enqueue(job.id);
  }

  private async failLost(job: JobRow, failure: 'worker_lost' | 'internal_error', reason: string): Promise<void> {
    assertTransition(JOB_TRANSITIONS, job.status, 'failed');
    await this.repo.finish(job.id, { status: 'failed', failure, reason, guestError: undefined, provenance: undefined });
    await this.audit.append({
      action: 'compute.job_finished',
      actor: SYSTEM_ACTOR,
      target: { type: 'compute_job', id: job.id },
      projectId: job.project_id,
      payload: {
        jobId: job.id,
        status: 'failed',
        failure,
        attempt: job.attempts,
        outputs: 0,
        wallMs: 0,
        cpuMs: 0,
        recordsRead: 0,
        patientsRead: 0,
      },
    });
  }

  /**
   * Clean up after dead workers (safe to run in every worker at once: rows are taken with SKIP
   * LOCKED). Running jobs whose lease expired go back to the queue, or fail with `worker_lost`
   * when attempts are used up, and the dead attempt's stored bytes are deleted; queued jobs
   * nobody took are handed to the queue again; withdrawn outputs' bytes are purged.
   */
  async sweep(): Promise<{ requeued: number; failed: number; resent: number; purged: number }> {
    const requeued: JobRow[] = [];
    const failed: JobRow[] = [];
    await this.db.run(async () => {
      const stale = await this.repo.lockStaleLeases(100);
      for (const j of stale) {
        if (j.attempts < j.max_attempts) {
          assertTransition(JOB_TRANSITIONS, j.status, 'queued');
          await this.repo.requeue(j.id);
          requeued.push(j);
        } else failed.push(j);
      }
      for (const j of requeued) {
        await this.audit.append({
          action: 'compute.job_requeued',
          actor: SYSTEM_ACTOR,
          target: { type: 'compute_job', id: j.id },
          projectId: j.project_id,
          payload: { jobId: j.id, attempt: j.attempts, reason: 'lease_expired' },
        });
      }
      for (const j of failed) await this.failLost(j, 'worker_lost', 'the worker running the job stopped, and no attempts remain');
    });
    for (const j of [...requeued, ...failed]) await this.store.deletePrefix(attemptPrefix(j, j.attempts)).catch(() => undefined);
    for (const j of requeued) await this.jobs.enqueue(j.id);
    const resend = await this.repo.touchStaleQueued(this.options.requeueAfterMs, 100);
    for (const r of resend) await this.jobs.enqueue(r.id);
    let purged = 0;
    for (const o of await this.repo.unpurgedWithdrawn(100)) {
      await this.store.delete(o.object_key!).catch(() => undefined);
      await this.repo.markPurged(o.id);
      purged++;
    }
    return { requeued: requeued.length, failed: failed.length, resent: resend.length, purged };
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Group de-identified instances into studies and series for `dicom.studies()`. */
function studiesOf(
  rows: readonly {
    deid_study_uid: string;
    deid_series_uid: string;
    deid_sop_uid: string;
    pseudonym: string;
    study_date: string | null;
    modality: string | null;
  }[],
): DicomStudyRecord[] {
  const studies = new Map<
    string,
    {
      studyInstanceUid: string;
      patientPseudonym: string;
      studyDate: string | null;
      series: Map<
        string,
        { seriesInstanceUid: string; modality: string; instances: { sopInstanceUid: string; rows: null; columns: null }[] }
      >;
    }
  >();
  for (const r of rows) {
    let st = studies.get(r.deid_study_uid);
    if (!st) {
      st = {
        studyInstanceUid: r.deid_study_uid,
        patientPseudonym: r.pseudonym,
        studyDate: r.study_date ? String(r.study_date).slice(0, 10) : null,
        series: new Map(),
      };
      studies.set(r.deid_study_uid, st);
    }
    let se = st.series.get(r.deid_series_uid);
    if (!se) {
      se = { seriesInstanceUid: r.deid_series_uid, modality: r.modality ?? 'OT', instances: [] };
      st.series.set(r.deid_series_uid, se);
    }
    se.instances.push({ sopInstanceUid: r.deid_sop_uid, rows: null, columns: null });
  }
  return [...studies.values()].map((s) => {
    const series = [...s.series.values()].map((x) => ({ ...x, bodyPart: null }));
    return {
      studyInstanceUid: s.studyInstanceUid,
      patientPseudonym: s.patientPseudonym,
      studyDate: s.studyDate,
      modalities: [...new Set(series.map((x) => x.modality))],
      series,
    };
  });
}
