import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import type { AuditActor, AuditBody, AuditOutcome, AuditRecord, CheckpointRecord } from './audit-record.js';

interface EntryRow {
  seq: string;
  id: string | null;
  at: Date;
  action: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  actor_role: string | null;
  actor_org_type: string | null;
  actor_org_id: string | null;
  target_type: string | null;
  target_id: string | null;
  project_id: string | null;
  trust_id: string | null;
  correlation_id: string | null;
  trace_id: string | null;
  payload: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  tree_size: string;
  head_hash: string;
  time: Date;
  kid: string;
  jws: string;
}

export interface AuditSearchFilter {
  readonly from?: Date;
  readonly to?: Date;
  readonly actorId?: string;
  readonly action?: string;
  readonly projectId?: string;
  readonly trustId?: string;
  /** Keyset paging: entries with seq below this (newest first). */
  readonly beforeSeq?: number;
  readonly limit: number;
}

/** A JSON array of entry rows as a relation (one statement for a whole batch). */
const RECORDSET = `jsonb_to_recordset($1::jsonb) AS x(seq bigint, id bigint, at timestamptz, action text, outcome text,
  actor_type text, actor_id text, actor_role text, actor_org_type text, actor_org_id text, target_type text, target_id text,
  project_id text, trust_id text, correlation_id text, trace_id text, payload jsonb, prev_hash char(64), hash char(64))`;

function rowOf(r: AuditRecord): Record<string, unknown> {
  return {
    seq: r.seq,
    id: r.id ?? null,
    at: r.at,
    action: r.action,
    outcome: r.outcome,
    actor_type: r.actor.type,
    actor_id: r.actor.id,
    actor_role: r.actor.role,
    actor_org_type: r.actor.orgType,
    actor_org_id: r.actor.orgId,
    target_type: r.target?.type ?? null,
    target_id: r.target?.id ?? null,
    project_id: r.projectId,
    trust_id: r.trustId,
    correlation_id: r.correlationId,
    trace_id: r.traceId,
    payload: r.payload,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

const ENTRY_COLUMNS =
  'seq, id, at, action, outcome, actor_type, actor_id, actor_role, actor_org_type, actor_org_id, target_type, target_id, project_id, trust_id, correlation_id, trace_id, payload, prev_hash, hash';

const BODY_COLUMNS =
  'at, action, outcome, actor_type, actor_id, actor_role, actor_org_type, actor_org_id, target_type, target_id, project_id, trust_id, correlation_id, trace_id, payload';

const BODY_COLUMN_NAMES = BODY_COLUMNS.split(', ');

interface PendingRow extends Omit<EntryRow, 'seq' | 'id' | 'prev_hash' | 'hash'> {
  id: string;
}

/** A pending entry as a JSON recordset row (`BODY_COLUMNS`). */
function pendingRowOf(r: AuditBody): Record<string, unknown> {
  const { seq: _s, id: _i, prev_hash: _p, hash: _h, ...row } = rowOf({ ...r, seq: 0, prevHash: '', hash: '' });
  return row;
}

/** The same, as positional parameters in `BODY_COLUMNS` order (payload as JSON text). */
function pendingParams(r: AuditBody): unknown[] {
  const row = pendingRowOf(r);
  return BODY_COLUMN_NAMES.map((c) => (c === 'payload' ? JSON.stringify(row[c]) : row[c]));
}

function bodyOf(r: Omit<EntryRow, 'seq' | 'id' | 'prev_hash' | 'hash'>): AuditBody {
  return {
    at: r.at.toISOString(),
    action: r.action,
    outcome: r.outcome as AuditOutcome,
    actor: {
      type: r.actor_type as AuditActor['type'],
      id: r.actor_id,
      role: r.actor_role,
      orgType: r.actor_org_type as AuditActor['orgType'],
      orgId: r.actor_org_id,
    },
    target: r.target_type !== null && r.target_id !== null ? { type: r.target_type, id: r.target_id } : null,
    projectId: r.project_id,
    trustId: r.trust_id,
    correlationId: r.correlation_id,
    traceId: r.trace_id,
    payload: r.payload,
  };
}

export function recordOf(r: EntryRow): AuditRecord {
  return {
    seq: Number(r.seq),
    ...(r.id !== null && r.id !== undefined ? { id: Number(r.id) } : {}),
    ...bodyOf(r),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function checkpointOf(r: CheckpointRow): CheckpointRecord {
  return { treeSize: Number(r.tree_size), headHash: r.head_hash, time: r.time.toISOString(), kid: r.kid, jws: r.jws };
}

/** The only place with SQL for the audit schema. Every call runs in the caller's transaction (`Db`). */
@Injectable()
export class AuditRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /** Lock the chain head until the current transaction ends and read it. */
  async lockHead(): Promise<{ seq: number; hash: string }> {
    const rows = await this.db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit.chain_head WHERE id = 1 FOR UPDATE');
    const head = rows[0];
    if (!head) throw new Error('audit chain head missing: migrations not applied');
    return { seq: Number(head.seq), hash: head.hash };
  }

  async readHead(): Promise<{ seq: number; hash: string }> {
    const rows = await this.db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit.chain_head WHERE id = 1');
    const head = rows[0];
    if (!head) throw new Error('audit chain head missing: migrations not applied');
    return { seq: Number(head.seq), hash: head.hash };
  }

  /** Append one entry to `audit.pending` in the current transaction; returns its append id. */
  async insertPending(r: AuditBody): Promise<number> {
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO audit.pending (${BODY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
      pendingParams(r),
    );
    return Number(rows[0]!.id);
  }

  /** Append several entries in one statement; ids come back in the order given (nextval follows `ORDER BY ord`). */
  async insertPendingMany(rs: readonly AuditBody[]): Promise<number[]> {
    if (rs.length === 0) return [];
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO audit.pending (${BODY_COLUMNS})
       SELECT ${BODY_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS x(at timestamptz, action text, outcome text,
         actor_type text, actor_id text, actor_role text, actor_org_type text, actor_org_id text, target_type text, target_id text,
         project_id text, trust_id text, correlation_id text, trace_id text, payload jsonb, ord bigint)
       ORDER BY ord
       RETURNING id`,
      [JSON.stringify(rs.map((r, ord) => ({ ...pendingRowOf(r), ord })))],
    );
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  async hasPending(): Promise<boolean> {
    const rows = await this.db.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM audit.pending) AS any');
    return rows[0]?.any === true;
  }

  /**
   * Remove up to `limit` committed pending entries, lowest append id first, for the sealer
   * (which holds the head lock, so no other sealer takes the same rows).
   */
  async takePending(limit: number): Promise<(AuditBody & { id: number })[]> {
    const rows = await this.db.query<PendingRow>(
      `DELETE FROM audit.pending WHERE id IN (SELECT id FROM audit.pending ORDER BY id LIMIT $1) RETURNING id, ${BODY_COLUMNS}`,
      [limit],
    );
    return rows.map((r) => ({ ...bodyOf(r), id: Number(r.id) })).sort((a, b) => a.id - b.id);
  }

  /** Insert several chained entries and move the head to the last, in one round trip (the head is already locked). */
  async insertManyAndAdvance(rs: readonly AuditRecord[]): Promise<void> {
    const last = rs[rs.length - 1];
    if (!last) return;
    await this.db.query(
      `WITH ins AS (INSERT INTO audit.entry (${ENTRY_COLUMNS}) SELECT ${ENTRY_COLUMNS} FROM ${RECORDSET} ORDER BY seq)
       UPDATE audit.chain_head SET seq = $2, hash = $3 WHERE id = 1`,
      [JSON.stringify(rs.map(rowOf)), last.seq, last.hash],
    );
  }

  async search(f: AuditSearchFilter): Promise<AuditRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, v: unknown): void => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.from) add('at >= ?', f.from);
    if (f.to) add('at < ?', f.to);
    if (f.actorId) add('actor_id = ?', f.actorId);
    if (f.action) add('action = ?', f.action);
    if (f.projectId) add('project_id = ?', f.projectId);
    if (f.trustId) add('trust_id = ?', f.trustId);
    if (f.beforeSeq !== undefined) add('seq < ?', f.beforeSeq);
    params.push(f.limit);
    const rows = await this.db.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM audit.entry ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(recordOf);
  }

  /** Entries with `afterSeq < seq <= toSeq`, ascending (verification and export pages). */
  async page(afterSeq: number, limit: number, toSeq?: number): Promise<AuditRecord[]> {
    const rows = await this.db.query<EntryRow>(
      `SELECT ${ENTRY_COLUMNS} FROM audit.entry WHERE seq > $1 AND ($3::bigint IS NULL OR seq <= $3) ORDER BY seq ASC LIMIT $2`,
      [afterSeq, limit, toSeq ?? null],
    );
    return rows.map(recordOf);
  }

  /** First and last seq of entries recorded in [from, to). */
  async seqRangeForTime(from: Date | undefined, to: Date | undefined): Promise<{ first: number; last: number } | undefined> {
    const rows = await this.db.query<{ first: string | null; last: string | null }>(
      `SELECT min(seq) AS first, max(seq) AS last FROM audit.entry WHERE ($1::timestamptz IS NULL OR at >= $1) AND ($2::timestamptz IS NULL OR at < $2)`,
      [from ?? null, to ?? null],
    );
    const r = rows[0];
    if (!r || r.first === null || r.last === null) return undefined;
    return { first: Number(r.first), last: Number(r.last) };
  }

  async latestCheckpoint(): Promise<CheckpointRecord | undefined> {
    const rows = await this.db.query<CheckpointRow>(
      'SELECT tree_size, head_hash, time, kid, jws FROM audit.checkpoint ORDER BY tree_size DESC LIMIT 1',
    );
    return rows[0] ? checkpointOf(rows[0]) : undefined;
  }

  /** Insert unless another process checkpointed the same size first; returns the stored one. */
  async insertCheckpoint(c: CheckpointRecord): Promise<CheckpointRecord> {
    await this.db.query(
      'INSERT INTO audit.checkpoint (tree_size, head_hash, time, kid, jws) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING',
      [c.treeSize, c.headHash, c.time, c.kid, c.jws],
    );
    const rows = await this.db.query<CheckpointRow>(
      'SELECT tree_size, head_hash, time, kid, jws FROM audit.checkpoint WHERE tree_size = $1',
      [c.treeSize],
    );
    return checkpointOf(rows[0]!);
  }

  async checkpointsBetween(fromSeq: number, toSeq: number): Promise<CheckpointRecord[]> {
    const rows = await this.db.query<CheckpointRow>(
      'SELECT tree_size, head_hash, time, kid, jws FROM audit.checkpoint WHERE tree_size BETWEEN $1 AND $2 ORDER BY tree_size ASC',
      [fromSeq, toSeq],
    );
    return rows.map(checkpointOf);
  }
}
