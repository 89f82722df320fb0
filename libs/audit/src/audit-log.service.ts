import { Inject, Injectable } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { Db } from '@harbour/persistence';
import { currentCorrelationId } from '@harbour/errors';
import { isAuditActionName, type AuditAction } from './audit-actions.js';
import type { AuditInput, AuditRecord } from './audit-record.js';
import { chainHash, hashedBody } from './chain-hash.js';
import { canonicalJsonAround } from './canonical-json.js';
import { assertSafeAuditValue } from './safe-payload.js';
import { AuditRepository } from './audit.repository.js';

/**
 * Appends to the tamper-evident audit trail.
 *
 * `append` writes in the *current* transaction (`Db.run` carries it), so an entry commits or
 * rolls back with the change it records. It locks the single chain-head row `FOR UPDATE` (in
 * the same statement that inserts the entry and advances the head), so concurrent writers in
 * any number of processes produce one gap-free sequence with no forks; the lock is held until
 * the caller commits, so call `append` last in a use case. `at` is the time of the call; the
 * sequence is the commit order of the chain, so `at` may step back by a few milliseconds.
 * Called outside a transaction (e.g. to record a failure after the use case's own transaction
 * rolled back), it opens its own.
 */
@Injectable()
export class AuditLog {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AuditRepository) private readonly repo: AuditRepository,
  ) {}

  readonly #queue: { body: Body; resolve: (r: AuditRecord) => void; reject: (e: unknown) => void }[] = [];
  #flushing = false;
  /** The head after this process's last batch: a guess that saves a read; the compare-and-set checks it. */
  #head: { seq: number; hash: string } | undefined;

  async append<A extends AuditAction>(input: AuditInput<A>): Promise<AuditRecord> {
    const body = AuditLog.body(input);
    if (!this.db.inTransaction()) return this.enqueue(body);
    return this.appendBody(body);
  }

  /**
   * Appends made outside any transaction (failures recorded after their use case rolled back,
   * guard refusals) are batched: concurrent ones share one transaction and one commit, taking
   * the chain lock once ("group commit" at the application level). Each caller still waits for
   * its entry to be durable.
   */
  private enqueue(body: Body): Promise<AuditRecord> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ body, resolve, reject });
      if (!this.#flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, 256);
        try {
          const records = await this.appendBatchStandalone(batch.map((b) => b.body));
          batch.forEach((b, i) => b.resolve(records[i]!));
        } catch (err) {
          batch.forEach((b) => b.reject(err));
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  private static body<A extends AuditAction>(input: AuditInput<A>): Body {
    if (!isAuditActionName(input.action)) throw new Error(`audit action ${input.action} is not domain.verb_past`);
    assertSafeAuditValue(input.payload);
    assertSafeAuditValue(input.actor, 'actor');
    if (input.target) assertSafeAuditValue(input.target, 'target');
    const spanContext = trace.getActiveSpan()?.spanContext();
    const traceId = spanContext && !/^0+$/.test(spanContext.traceId) ? spanContext.traceId : null;
    const body = {
      at: new Date().toISOString(),
      action: input.action,
      outcome: input.outcome ?? 'success',
      actor: {
        type: input.actor.type,
        id: input.actor.id,
        role: input.actor.role,
        orgType: input.actor.orgType,
        orgId: input.actor.orgId,
      },
      target: input.target ? { type: input.target.type, id: input.target.id } : null,
      projectId: input.projectId ?? null,
      trustId: input.trustId ?? null,
      correlationId: currentCorrelationId() ?? null,
      traceId,
      payload: { ...(input.payload as Record<string, unknown>) },
    };
    return body;
  }

  /** Chain bodies in memory on top of `head`. */
  private static chainOn(head: { seq: number; hash: string }, bodies: readonly Body[]): AuditRecord[] {
    let prev = head;
    return bodies.map((b) => {
      const withSeq = { ...b, seq: prev.seq + 1 };
      const record: AuditRecord = { ...withSeq, prevHash: prev.hash, hash: chainHash(prev.hash, withSeq) };
      prev = { seq: record.seq, hash: record.hash };
      return record;
    });
  }

  /**
   * A batch outside any caller transaction: compare-and-set on the head in one statement (one
   * implicit transaction), so the lock is held only for that statement and its commit. On a lost
   * race (another process appended) re-read the head and retry; after a few, take the lock.
   */
  private async appendBatchStandalone(bodies: readonly Body[]): Promise<AuditRecord[]> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const head = this.#head ?? (await this.repo.readHead());
      const records = AuditLog.chainOn(head, bodies);
      if (await this.repo.appendIfHead(records, head)) {
        const last = records[records.length - 1]!;
        this.#head = { seq: last.seq, hash: last.hash };
        return records;
      }
      this.#head = undefined;
    }
    return this.db.run(async () => {
      const records = AuditLog.chainOn(await this.repo.lockHead(), bodies);
      await this.repo.insertManyAndAdvance(records);
      return records;
    });
  }

  private async appendBody(body: Body): Promise<AuditRecord> {
    // The database assigns seq under the chain-head lock and hashes these exact bytes.
    const chained = await this.repo.appendLocked(body, canonicalJsonAround(body, 'seq'));
    const record: AuditRecord = { ...body, seq: chained.seq, prevHash: chained.prevHash, hash: chained.hash };
    if (chainHash(record.prevHash, hashedBody(record)) !== record.hash) {
      // Cannot happen unless the canonical form and the SQL disagree; fail loudly rather than write an unverifiable chain.
      throw new Error('audit chain hash mismatch between application and database');
    }
    return record;
  }
}

type Body = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

/** The actor for work the station does by itself (scheduled jobs, CLI maintenance). */
export const SYSTEM_ACTOR = { type: 'system', id: 'harbour', role: null, orgType: 'station', orgId: null } as const;
export const ANONYMOUS_ACTOR = { type: 'anonymous', id: null, role: null, orgType: null, orgId: null } as const;
