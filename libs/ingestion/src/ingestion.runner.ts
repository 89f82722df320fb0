import type { Runtime } from '@harbour/runtime';
import { TrustKeyRing, VaultRepository } from '@harbour/vault';
import { PersonRepository, StudyConsentRepository } from '@harbour/consent';
import { ResearchRepository } from '@harbour/research';
import { BatchRepository, type BatchRow } from './batch.repository.js';
import { EhrIngestionService, type IngestProgress } from './ehr-ingestion.service.js';
import type { BatchKind } from './entities/batch.entity.js';

/**
 * Runs an EHR batch through its workflow: queued → running → completed | failed. Used by the
 * CLI (in process, with a progress bar) and by the worker (queued uploads). A failed batch keeps
 * its reason (a code, never data) and can be run again.
 */
export class IngestionRunner {
  readonly batches: BatchRepository;
  readonly service: EhrIngestionService;

  constructor(private readonly rt: Runtime) {
    const db = rt.db;
    this.batches = new BatchRepository(db);
    this.service = new EhrIngestionService(
      db,
      rt.keys,
      new TrustKeyRing(db, rt.keys),
      new VaultRepository(db),
      new PersonRepository(db),
      new ResearchRepository(db),
      new StudyConsentRepository(db),
      this.batches,
    );
  }

  async createBatch(trustId: string, kind: BatchKind, source: string, submittedBy: string | null): Promise<BatchRow> {
    return this.batches.create(trustId, kind, source, submittedBy);
  }

  async run(batch: BatchRow, dir: string, onProgress?: (p: IngestProgress) => void): Promise<BatchRow> {
    await this.batches.transition(batch.trust_id, batch.id, 'running');
    try {
      const s = await this.service.ingestDirectory(batch.trust_id, batch.id, dir, onProgress);
      return await this.batches.transition(batch.trust_id, batch.id, 'completed', s);
    } catch (err) {
      this.rt.logger.error({ batchId: batch.id, error: err instanceof Error ? err.name : 'unknown' }, 'ingestion batch failed');
      return this.batches.transition(batch.trust_id, batch.id, 'failed', { failureReason: 'processing_error' });
    }
  }
}
