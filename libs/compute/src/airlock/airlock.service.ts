import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError, notFound } from '@harbour/errors';
import { AuditLog, type AuditInput } from '@harbour/audit';
import { actorOf, type Principal } from '@harbour/auth';
import type { ObjectStore } from '@harbour/storage';
import type { Finding } from './airlock-checks.js';
import { ComputeRepository, type OutputRow, type ReviewRow } from '../jobs/compute.repository.js';
import { assertTransition, OUTPUT_STATUSES, OUTPUT_TRANSITIONS, type OutputStatus } from '../jobs/job-workflow.js';
import { outputView, type AirlockOutputView } from '../jobs/job-views.js';
import { COMPUTE_OBJECT_STORE } from '../jobs/compute-tokens.js';
import { ComputeMetering } from '../jobs/compute-metering.js';

export interface ReviewInput {
  readonly decision: 'approve' | 'reject';
  readonly reason: string;
  /** The sha-256 the reviewer saw (from the content's ETag); refused if the output is not these bytes. */
  readonly sha256?: string;
}

/** Output bytes as served, checked against the sha-256 every review was bound to. */
export interface OutputContent {
  readonly bytes: Buffer;
  readonly contentType: string;
  readonly filename: string;
  readonly sha256: string;
}

const LIST_LIMIT = 200;
const MAX_REVIEWERS = 2;
const EXTENSION: Readonly<Record<string, string>> = { table: '.csv', json: '.json', text: '.txt', png: '.png' };

/**
 * The airlock: job outputs wait here until a guardian of every trust whose data the job read
 * approves them (with the trust's required number of distinct reviewers, none of them the job's
 * submitter or of its partner); one rejection rejects. Approvals are bound to the sha-256 of
 * the bytes: only approvals of the output's exact bytes count, and bytes are re-hashed every time
 * they are served. Outputs the automatic checks block can only be rejected. The partner gets
 * released outputs only; everything else answers 404. Every view, review, release and download
 * is audited; a release is billed (`output.released`) in the transaction that records it.
 */
@Injectable()
export class AirlockService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(ComputeRepository) private readonly repo: ComputeRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(COMPUTE_OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(ComputeMetering) private readonly metering: ComputeMetering,
  ) {}

  /**
   * A guardian's airlock: outputs that used their trust's data. `pending`: those still waiting
   * for this guardian (their trust has not approved enough yet, they have not reviewed it, and
   * they did not submit the job).
   */
  async list(p: Principal, status?: string): Promise<AirlockOutputView[]> {
    if (status !== undefined && !(OUTPUT_STATUSES as readonly string[]).includes(status)) {
      throw new DomainError('validation_failed', `status must be one of ${OUTPUT_STATUSES.join(', ')}`);
    }
    const trustId = guardianTrust(p);
    if (!trustId) return [];
    let rows = await this.repo.outputsOfTrust(trustId, status ? [status as OutputStatus] : undefined, LIST_LIMIT);
    const reviews = await this.repo.reviews(rows.map((o) => o.id));
    const required = await this.repo.reviewersRequired([...new Set(rows.flatMap((o) => o.trust_ids))]);
    if (status === 'pending') {
      const submitters = await this.repo.submitters(rows.map((o) => o.job_id));
      rows = rows.filter(
        (o) =>
          submitters.get(o.job_id) !== p.id &&
          o.partner_id !== p.partnerId &&
          !reviews.some((r) => r.output_id === o.id && r.reviewer_id === p.id) &&
          approvals(o, reviews, trustId) < (required.get(trustId) ?? 1),
      );
    }
    const titles = await this.repo.projectTitles([...new Set(rows.map((o) => o.project_id))]);
    return rows.map((o) => airlockView(o, reviews, required, titles.get(o.project_id) ?? null));
  }

  async get(p: Principal, outputId: string): Promise<AirlockOutputView> {
    const o = await this.reviewable(p, outputId);
    const reviews = await this.repo.reviews([o.id]);
    const required = await this.repo.reviewersRequired(o.trust_ids);
    const titles = await this.repo.projectTitles([o.project_id]);
    return airlockView(o, reviews, required, titles.get(o.project_id) ?? null);
  }

  /**
   * The bytes of an output: for a guardian of a contributing trust (preview while reviewing,
   * audited as a view), or for the project's partner once released (audited as a download).
   */
  async content(p: Principal, outputId: string): Promise<OutputContent> {
    const o = await this.repo.output(outputId);
    if (!o) throw notFound('output');
    const trustId = guardianTrust(p);
    if (trustId && o.trust_ids.includes(trustId)) {
      const content = await this.read(o);
      await this.audit.append({
        action: 'airlock.output_viewed',
        actor: actorOf(p),
        target: { type: 'compute_output', id: o.id },
        projectId: o.project_id,
        trustId,
        payload: { sha256: o.sha256, status: o.status },
      });
      return content;
    }
    if (p.partnerId !== undefined && p.partnerId === o.partner_id) return this.download(p, o.project_id, o.id);
    throw notFound('output');
  }

  /** The partner downloads a released output of its project; anything not released is 404. */
  async download(p: Principal, projectId: string, outputId: string): Promise<OutputContent> {
    if (p.partnerId === undefined) throw notFound('output');
    const o = await this.repo.outputOfProject(p.partnerId, projectId, outputId);
    if (!o || o.status !== 'released') throw notFound('output');
    const content = await this.read(o);
    await this.audit.append({
      action: 'airlock.output_downloaded',
      actor: actorOf(p),
      target: { type: 'compute_output', id: o.id },
      projectId: o.project_id,
      payload: { jobId: o.job_id, sha256: o.sha256, sizeBytes: content.bytes.length },
    });
    return content;
  }

  /** A guardian approves or rejects an output for their trust. */
  async review(p: Principal, outputId: string, input: ReviewInput): Promise<AirlockOutputView> {
    const trustId = guardianTrust(p);
    if (!trustId) throw notFound('output');
    return this.db.run(async () => {
      const o = await this.repo.lockOutput(outputId);
      if (!o || !o.trust_ids.includes(trustId)) throw notFound('output');
      const submitter = (await this.repo.submitters([o.job_id])).get(o.job_id);
      if (submitter === p.id || (p.partnerId !== undefined && p.partnerId === o.partner_id)) {
        throw new DomainError('forbidden', "the job's submitter and its organisation cannot review its outputs");
      }
      if (o.status !== 'pending') throw new DomainError('invalid_transition', `the output is ${o.status}`);
      if (input.sha256 !== undefined && input.sha256.toLowerCase() !== o.sha256) {
        throw new DomainError('conflict', 'the output is not the bytes you reviewed');
      }
      const earlier = await this.repo.reviews([o.id]);
      if (earlier.some((r) => r.reviewer_id === p.id)) throw new DomainError('conflict', 'you have already reviewed this output');
      const required = await this.repo.reviewersRequired(o.trust_ids);
      const needed = required.get(trustId) ?? 1;
      if (approvals(o, earlier, trustId) >= needed)
        throw new DomainError('invalid_transition', 'your trust has already approved this output');
      if (input.decision === 'approve' && o.worst_severity === 'block') {
        throw new DomainError('disclosure_refused', 'the automatic checks block this output: it can only be rejected');
      }
      const review = await this.repo.insertReview({
        id: randomUUID(),
        output_id: o.id,
        trust_id: trustId,
        reviewer_id: p.id,
        decision: input.decision,
        reason: input.reason,
        sha256: o.sha256,
      });
      const all = [...earlier, review];
      let outcome: OutputStatus = 'pending';
      if (input.decision === 'reject') outcome = 'rejected';
      else if (o.trust_ids.every((t) => approvals(o, all, t) >= (required.get(t) ?? 1))) outcome = 'released';
      if (outcome !== 'pending') {
        assertTransition(OUTPUT_TRANSITIONS, o.status, outcome);
        await this.repo.setOutputStatus(o.id, outcome);
      }
      const entries: AuditInput[] = [
        {
          action: 'airlock.output_reviewed',
          actor: actorOf(p),
          target: { type: 'compute_output', id: o.id },
          projectId: o.project_id,
          trustId,
          payload: { decision: input.decision, sha256: o.sha256, approvals: approvals(o, all, trustId), required: needed, outcome },
        },
      ];
      if (outcome === 'released') {
        entries.push({
          action: 'airlock.output_released',
          actor: actorOf(p),
          target: { type: 'compute_output', id: o.id },
          projectId: o.project_id,
          payload: { jobId: o.job_id, sha256: o.sha256, trustIds: [...o.trust_ids] },
        });
      }
      let releasedEntryId = 0;
      for (const e of entries) {
        const appended = await this.audit.append(e);
        if (e.action === 'airlock.output_released') releasedEntryId = appended.id;
      }
      if (outcome === 'released') await this.meterRelease(o, releasedEntryId);
      const updated = (await this.repo.output(o.id))!;
      const titles = await this.repo.projectTitles([o.project_id]);
      return airlockView(updated, all, required, titles.get(o.project_id) ?? null);
    });
  }

  /** A guardian sets how many distinct guardians of their trust must approve an output (1 or 2). */
  async setReviewersRequired(p: Principal, reviewersRequired: number): Promise<void> {
    const trustId = guardianTrust(p);
    if (!trustId) throw new DomainError('forbidden', 'only a guardian can set their trust’s airlock policy');
    if (!Number.isInteger(reviewersRequired) || reviewersRequired < 1 || reviewersRequired > MAX_REVIEWERS) {
      throw new DomainError('validation_failed', `reviewers required must be 1 to ${MAX_REVIEWERS}`);
    }
    await this.db.run(async () => {
      await this.repo.setReviewersRequired(trustId, reviewersRequired);
      await this.audit.append({
        action: 'airlock.policy_set',
        actor: actorOf(p),
        target: { type: 'trust', id: trustId },
        trustId,
        payload: { reviewersRequired },
      });
    });
  }

  /**
   * Bill a released output once (key `output.released:<outputId>`). Each contributing trust's
   * share follows the persons the output's job was served from that trust (`compute.job_member`);
   * a job that read nobody splits it equally, as the agreement says for events without patients.
   */
  private async meterRelease(o: OutputRow, auditEntryId: number): Promise<void> {
    const served = new Map((await this.repo.jobContributions(o.job_id)).map((c) => [c.trustId, c.patients]));
    await this.metering.meter({
      idempotencyKey: `output.released:${o.id}`,
      projectId: o.project_id,
      kind: 'output.released',
      quantity: 1,
      occurredAt: new Date(),
      auditEntryId,
      contributions: o.trust_ids.map((trustId) => ({ trustId, patients: served.get(trustId) ?? 0 })),
    });
  }

  private async reviewable(p: Principal, outputId: string): Promise<OutputRow> {
    const trustId = guardianTrust(p);
    const o = await this.repo.output(outputId);
    if (!o || !trustId || !o.trust_ids.includes(trustId)) throw notFound('output');
    return o;
  }

  /** Read the stored bytes and check them against the hash reviews are bound to. */
  private async read(o: OutputRow): Promise<OutputContent> {
    if (!o.object_key) throw notFound('output');
    const bytes = await this.store.getBuffer(o.object_key).catch(() => {
      throw notFound('output');
    });
    if (createHash('sha256').update(bytes).digest('hex') !== o.sha256) {
      // Changed after the checks and reviews: no approval covers these bytes.
      throw new DomainError('conflict', 'the stored output does not match its reviewed hash');
    }
    const ext = EXTENSION[o.kind] ?? '';
    return { bytes, contentType: o.mime, filename: o.name.endsWith(ext) ? o.name : `${o.name}${ext}`, sha256: o.sha256 };
  }
}

function guardianTrust(p: Principal): string | undefined {
  return p.trustId !== undefined && p.roles.includes('guardian') ? p.trustId : undefined;
}

/** Distinct approvals of the output's exact bytes by guardians of one trust. */
function approvals(o: OutputRow, reviews: readonly ReviewRow[], trustId: string): number {
  return new Set(
    reviews
      .filter((r) => r.output_id === o.id && r.trust_id === trustId && r.decision === 'approve' && r.sha256 === o.sha256)
      .map((r) => r.reviewer_id),
  ).size;
}

function airlockView(
  o: OutputRow,
  reviews: readonly ReviewRow[],
  required: ReadonlyMap<string, number>,
  projectTitle: string | null,
): AirlockOutputView {
  const mine = reviews.filter((r) => r.output_id === o.id);
  return {
    ...outputView(o, mine),
    jobId: o.job_id,
    projectId: o.project_id,
    projectTitle,
    mediaType: o.mime,
    findings: (o.findings as Finding[]).map((f) => (f.column !== undefined ? { ...f, location: f.column } : f)),
    worstSeverity: o.worst_severity,
    trustIds: o.trust_ids,
    approvals: o.trust_ids.map((t) => ({
      trustId: t,
      approvals: approvals(o, mine, t),
      required: required.get(t) ?? 1,
      rejected: mine.some((r) => r.trust_id === t && r.decision === 'reject'),
    })),
    reviews: mine.map((r) => ({
      reviewerId: r.reviewer_id,
      trustId: r.trust_id,
      decision: r.decision,
      reason: r.reason,
      sha256: r.sha256,
      createdAt: r.created_at,
    })),
  };
}
