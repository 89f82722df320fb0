import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError, notFound } from '@harbour/errors';
import { AuditLog, SYSTEM_ACTOR } from '@harbour/audit';
import { AccessPolicy, actorOf, type Principal } from '@harbour/auth';
import { JobQueue, QUEUES } from '@harbour/queue';
import { OBJECT_STORE, type ObjectStore } from '@harbour/storage';
import { decryptingFileStream, encryptingStream, streamKeyVersion, TrustKeyRing } from '@harbour/vault';
import { BatchRepository, type BatchRow } from './batch.repository.js';
import { EhrIngestionService } from './ehr-ingestion.service.js';
import type { BatchKind } from './entities/batch.entity.js';

/** Safe file names inside a batch: folders allowed, no traversal, known extensions only. */
const FILE_NAME = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,100}\/){0,3}[A-Za-z0-9_-][A-Za-z0-9._-]{0,150}\.(ndjson|jsonl|json|csv|ndjson\.gz)$/;

export interface IngestionBatchJob {
  batchId: string;
  trustId: string;
}

/**
 * HTTP uploads of extracts by trust systems: open a batch, put its files (streamed, encrypted
 * under the trust's data key as they arrive), submit; a worker then runs the batch. Status and
 * rejections are readable by the trust's own roles and station operators.
 */
@Injectable()
export class IngestionUploadService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(BatchRepository) private readonly batches: BatchRepository,
    @Inject(TrustKeyRing) private readonly keyRing: TrustKeyRing,
    @Inject(OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(JobQueue) private readonly queue: JobQueue,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  private assertUploader(p: Principal, trustId: string): void {
    if (p.kind === 'system') return;
    if (p.trustId !== trustId || !p.roles.includes('trust-uploader')) throw notFound('trust');
  }

  async open(p: Principal, trustId: string, kind: BatchKind): Promise<BatchRow> {
    this.assertUploader(p, trustId);
    if (kind === 'dicom') throw new DomainError('validation_failed', 'DICOM is sent by STOW-RS, not as a batch upload');
    return this.db.run(async () => {
      const batch = await this.batches.create(trustId, kind, 'upload', p.id, 'receiving');
      await this.audit.append({
        action: 'ingestion.batch_opened',
        actor: actorOf(p),
        target: { type: 'ingestion_batch', id: batch.id },
        trustId,
        payload: { kind },
      });
      return batch;
    });
  }

  async putFile(p: Principal, batchId: string, name: string, body: Readable): Promise<{ name: string; bytes: number }> {
    if (!FILE_NAME.test(name) || name.includes('..'))
      throw new DomainError('validation_failed', 'file name must be a plain relative path ending in .ndjson, .json or .csv');
    const batch = await this.batches.get(undefined, batchId);
    if (!batch) throw notFound('batch');
    this.assertUploader(p, batch.trust_id);
    if (batch.status !== 'receiving') throw new DomainError('invalid_transition', 'batch is no longer receiving files');
    const { version, key } = await this.keyRing.activeKey(batch.trust_id);
    let bytes = 0;
    body.on('data', (c: Buffer) => (bytes += c.length));
    await this.store.put(objectKey(batch.trust_id, batchId, name), body.pipe(encryptingStream(key, version)));
    await this.batches.addFile(batchId, name, bytes);
    return { name, bytes };
  }

  async submit(p: Principal, batchId: string): Promise<BatchRow> {
    const batch = await this.batches.get(undefined, batchId);
    if (!batch) throw notFound('batch');
    this.assertUploader(p, batch.trust_id);
    const files = await this.batches.files(batchId);
    if (files.length === 0) throw new DomainError('validation_failed', 'the batch has no files');
    return this.db.run(async () => {
      const queued = await this.batches.transition(batch.trust_id, batchId, 'queued');
      await this.queue.send(QUEUES.ingestionBatch, { batchId, trustId: batch.trust_id } satisfies IngestionBatchJob, {
        singletonKey: batchId,
      });
      await this.audit.append({
        action: 'ingestion.batch_submitted',
        actor: actorOf(p),
        target: { type: 'ingestion_batch', id: batchId },
        trustId: batch.trust_id,
        payload: { files: files.length },
      });
      return queued;
    });
  }

  async get(p: Principal, batchId: string): Promise<BatchRow & { files: { name: string; bytes: string }[] }> {
    const batch = await this.batches.get(undefined, batchId);
    if (!batch || !AccessPolicy.canSeeTrust(p, batch.trust_id)) throw notFound('batch');
    return { ...batch, files: await this.batches.files(batchId) };
  }

  async list(p: Principal): Promise<BatchRow[]> {
    const trusts = AccessPolicy.trustFilter(p);
    if (trusts === undefined) return this.batches.list(undefined);
    return trusts[0] ? this.batches.list(trusts[0]) : [];
  }

  async rejections(p: Principal, batchId: string): Promise<{ file: string; line: number; code: string; message: string }[]> {
    const batch = await this.batches.get(undefined, batchId);
    if (!batch || !AccessPolicy.canSeeTrust(p, batch.trust_id)) throw notFound('batch');
    return this.batches.rejections(batch.trust_id, batchId, 10_000);
  }

  /**
   * Worker side: fetch and decrypt the batch's files into a private temporary folder, ingest,
   * and remove the folder whatever happens. Retried runs are idempotent.
   */
  async process(job: IngestionBatchJob, ingest: EhrIngestionService): Promise<BatchRow> {
    const batch = await this.batches.get(job.trustId, job.batchId);
    if (!batch) throw notFound('batch');
    if (batch.status === 'completed') return batch;
    const dir = await mkdtemp(join(tmpdir(), 'harbour-batch-'));
    try {
      await this.batches.transition(batch.trust_id, batch.id, 'running');
      for (const f of await this.batches.files(batch.id)) {
        const enc = join(dir, '.enc');
        await pipeline(await this.store.get(objectKey(batch.trust_id, batch.id, f.name)), createWriteStream(enc, { mode: 0o600 }));
        const key = await this.keyRing.keyOfVersion(batch.trust_id, await streamKeyVersion(enc));
        const target = join(dir, 'files', f.name);
        await mkdir(dirname(target), { recursive: true, mode: 0o700 });
        await pipeline(await decryptingFileStream(enc, key), createWriteStream(target, { mode: 0o600 }));
        await rm(enc, { force: true });
      }
      const s = await ingest.ingestDirectory(batch.trust_id, batch.id, join(dir, 'files'));
      return await this.db.run(async () => {
        const done = await this.batches.transition(batch.trust_id, batch.id, 'completed', s);
        await this.audit.append({
          action: 'ingestion.batch_completed',
          actor: SYSTEM_ACTOR,
          target: { type: 'ingestion_batch', id: batch.id },
          trustId: batch.trust_id,
          payload: { seen: s.seen, accepted: s.accepted, unchanged: s.unchanged, rejected: s.rejected },
        });
        return done;
      });
    } catch (err) {
      await this.batches.transition(batch.trust_id, batch.id, 'failed', { failureReason: 'processing_error' }).catch(() => undefined);
      throw err;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function objectKey(trustId: string, batchId: string, name: string): string {
  return `vault/${trustId}/ingestion/${batchId}/${name}.enc`;
}
