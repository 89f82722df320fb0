import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError, notFound } from '@harbour/errors';
import { AuditLog } from '@harbour/audit';
import { AccessPolicy, actorOf, type Principal } from '@harbour/auth';
import { ImagingRepository, type ReviewRow } from '../imaging.repository.js';
import { ImagingStore } from '../storage/imaging-store.js';
import type { InstanceStatus } from '../entities/imaging-instance.entity.js';
import { reviewTarget, type ReviewDecision } from './instance-workflow.js';

/** One instance waiting for review, as its own trust's guardian sees it. */
export interface QuarantineItem {
  readonly id: string;
  readonly status: InstanceStatus;
  readonly reason: string | null;
  readonly quarantineReason: string | null;
  readonly modality: string | null;
  readonly sopClassUid: string | null;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly bytes: number;
  readonly receivedAt: string;
}

const view = (r: ReviewRow): QuarantineItem => ({
  id: r.id,
  status: r.status,
  reason: r.status_reason,
  quarantineReason: r.quarantine_reason,
  modality: r.modality,
  sopClassUid: r.sop_class_uid,
  studyInstanceUid: r.study_uid,
  seriesInstanceUid: r.series_uid,
  sopInstanceUid: r.sop_instance_uid,
  bytes: Number(r.bytes),
  receivedAt: r.received_at.toISOString(),
});

/**
 * The guardian's review queue: instances of their own trust that were quarantined (possible
 * burned-in text or recognisable features, PS3.15 §E.1.1 and the Clean Pixel Data option Harbour
 * does not implement) or held (patient not identified). Only the trust's own guardian sees them
 * (patient-level data of that trust); anyone else gets 404.
 */
@Injectable()
export class QuarantineService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(ImagingRepository) private readonly repo: ImagingRepository,
    @Inject(ImagingStore) private readonly store: ImagingStore,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  async list(p: Principal, opts: { status?: 'quarantined' | 'held'; limit: number; offset: number }): Promise<QuarantineItem[]> {
    const trustId = this.guardianTrust(p);
    const statuses: InstanceStatus[] = opts.status ? [opts.status] : ['quarantined', 'held'];
    return (await this.repo.reviewQueue(trustId, statuses, opts.limit, opts.offset)).map(view);
  }

  /** Release or reject; a rejected original is deleted from storage once the decision commits. */
  async decide(p: Principal, id: string, input: { decision: ReviewDecision; reason: string }): Promise<QuarantineItem> {
    const trustId = this.guardianTrust(p);
    let deleteKey: string | null = null;
    const item = await this.db.run(async () => {
      const row = await this.repo.lockForReview(trustId, id);
      if (!row || (row.status !== 'quarantined' && row.status !== 'held')) throw notFound('quarantined instance');
      const to = reviewTarget(row.status, input.decision);
      const reject = to === 'rejected';
      if (!(await this.repo.setReviewed(trustId, id, row.status, to, { by: p.id, note: input.reason, clearObject: reject }))) {
        throw new DomainError('conflict', 'the instance changed meanwhile');
      }
      if (reject) deleteKey = row.object_key;
      await this.audit.append({
        action: 'imaging.quarantine_decided',
        actor: actorOf(p),
        target: { type: 'imaging_instance', id },
        trustId,
        payload: { decision: input.decision, previousStatus: row.status, reasonCode: row.status_reason },
      });
      return view({ ...row, status: to, status_reason: to === 'available' ? null : row.status_reason });
    });
    if (deleteKey) await this.store.deleteObject(deleteKey).catch(() => undefined);
    return item;
  }

  /** The original file, for the guardian to look at before deciding. */
  async original(p: Principal, id: string): Promise<Readable> {
    const trustId = this.guardianTrust(p);
    return this.db.run(async () => {
      const row = await this.repo.lockForReview(trustId, id);
      if (!row || (row.status !== 'quarantined' && row.status !== 'held') || !row.object_key) throw notFound('quarantined instance');
      await this.audit.append({
        action: 'imaging.quarantine_viewed',
        actor: actorOf(p),
        target: { type: 'imaging_instance', id },
        trustId,
        payload: { status: row.status, reasonCode: row.status_reason },
      });
      return this.store.openOriginal(trustId, row.object_key);
    });
  }

  private guardianTrust(p: Principal): string {
    if (!p.trustId || !p.roles.includes('guardian')) throw notFound('quarantine');
    AccessPolicy.assertPatientData(p, p.trustId, 'quarantine');
    return p.trustId;
  }
}
