import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError } from '@harbour/errors';
import type { Rejection } from '@harbour/deid-ehr';
import type { BatchKind, BatchStatus } from './entities/batch.entity.js';

export interface BatchRow {
  id: string;
  trust_id: string;
  kind: BatchKind;
  status: BatchStatus;
  source: string;
  records_seen: number;
  records_accepted: number;
  records_unchanged: number;
  records_rejected: number;
  failure_reason: string | null;
  submitted_by: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/**
 * Batch workflow as a transition table: services ask for a transition, never assign a status.
 * A failed batch may be retried (re-running is idempotent).
 */
export const BATCH_TRANSITIONS: Readonly<Record<BatchStatus, readonly BatchStatus[]>> = {
  receiving: ['queued', 'failed'],
  queued: ['running', 'failed'],
  running: ['completed', 'failed', 'running'],
  completed: [],
  failed: ['running'],
};

@Injectable()
export class BatchRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async create(
    trustId: string,
    kind: BatchKind,
    source: string,
    submittedBy: string | null,
    status: 'queued' | 'receiving' = 'queued',
  ): Promise<BatchRow> {
    const [row] = await this.db.query<BatchRow>(
      `INSERT INTO ingestion.batch (trust_id, kind, status, source, submitted_by) VALUES ($1, $2, $5, $3, $4) RETURNING *`,
      [trustId, kind, source, submittedBy, status],
    );
    return row!;
  }

  async get(trustId: string | undefined, id: string): Promise<BatchRow | undefined> {
    const rows = await this.db.query<BatchRow>(
      trustId ? `SELECT * FROM ingestion.batch WHERE id = $1 AND trust_id = $2` : `SELECT * FROM ingestion.batch WHERE id = $1`,
      trustId ? [id, trustId] : [id],
    );
    return rows[0];
  }

  async list(trustId: string | undefined, limit = 50): Promise<BatchRow[]> {
    return this.db.query<BatchRow>(
      trustId
        ? `SELECT * FROM ingestion.batch WHERE trust_id = $1 ORDER BY created_at DESC LIMIT $2`
        : `SELECT * FROM ingestion.batch ORDER BY created_at DESC LIMIT $1`,
      trustId ? [trustId, limit] : [limit],
    );
  }

  /** Move a batch to `to` if the transition table allows it from its current status. */
  async transition(
    trustId: string,
    id: string,
    to: BatchStatus,
    fields: Partial<{ seen: number; accepted: number; unchanged: number; rejected: number; failureReason: string }> = {},
  ): Promise<BatchRow> {
    const from = (Object.keys(BATCH_TRANSITIONS) as BatchStatus[]).filter((s) => BATCH_TRANSITIONS[s].includes(to));
    const rows = await this.db.query<BatchRow>(
      `UPDATE ingestion.batch SET status = $3,
          started_at = CASE WHEN $3 = 'running' THEN now() ELSE started_at END,
          finished_at = CASE WHEN $3 IN ('completed', 'failed') THEN now() ELSE finished_at END,
          records_seen = COALESCE($4, records_seen), records_accepted = COALESCE($5, records_accepted),
          records_unchanged = COALESCE($6, records_unchanged), records_rejected = COALESCE($7, records_rejected),
          failure_reason = COALESCE($8, failure_reason)
        WHERE id = $1 AND trust_id = $2 AND status = ANY($9::text[]) RETURNING *`,
      [
        id,
        trustId,
        to,
        fields.seen ?? null,
        fields.accepted ?? null,
        fields.unchanged ?? null,
        fields.rejected ?? null,
        fields.failureReason ?? null,
        from,
      ],
    );
    if (!rows[0]) throw new DomainError('invalid_transition', `batch cannot move to ${to}`);
    return rows[0];
  }

  async addFile(batchId: string, name: string, bytes: number): Promise<void> {
    await this.db.query(
      `INSERT INTO ingestion.batch_file (batch_id, name, bytes) VALUES ($1, $2, $3) ON CONFLICT (batch_id, name) DO UPDATE SET bytes = $3, received_at = now()`,
      [batchId, name, bytes],
    );
  }

  async files(batchId: string): Promise<{ name: string; bytes: string }[]> {
    return this.db.query(`SELECT name, bytes FROM ingestion.batch_file WHERE batch_id = $1 ORDER BY name`, [batchId]);
  }

  /**
   * Inside an ingestion chunk's transaction: let its commit return before the WAL reaches disk
   * (`synchronous_commit = off`, this transaction only). Safe for chunks because the batch's own
   * completion is committed with the default synchronous commit, and WAL is flushed in order, so
   * a batch recorded as completed always has every chunk on disk; a crash before that loses at
   * most the last few chunks of a batch that is not completed, and re-running it (idempotent)
   * writes them again. Saves one disk flush per chunk. PostgreSQL docs §28.4 (Asynchronous Commit).
   */
  async deferCommitFlush(): Promise<void> {
    await this.db.query(`SET LOCAL synchronous_commit TO off`);
  }

  async addRejections(trustId: string, batchId: string, rows: readonly Rejection[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO ingestion.rejection (batch_id, trust_id, file, line, code, message)
       SELECT $1, $2, * FROM unnest($3::text[], $4::int[], $5::text[], $6::text[])`,
      [batchId, trustId, rows.map((r) => r.file), rows.map((r) => r.line), rows.map((r) => r.code), rows.map((r) => r.message)],
    );
  }

  async rejections(
    trustId: string | undefined,
    batchId: string,
    limit = 1000,
  ): Promise<{ file: string; line: number; code: string; message: string }[]> {
    return this.db.query(
      trustId
        ? `SELECT file, line, code, message FROM ingestion.rejection WHERE batch_id = $1 AND trust_id = $2 ORDER BY id LIMIT $3`
        : `SELECT file, line, code, message FROM ingestion.rejection WHERE batch_id = $1 ORDER BY id LIMIT $2`,
      trustId ? [batchId, trustId, limit] : [batchId, limit],
    );
  }
}
