import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { Db } from '@harbour/persistence';
import { currentCorrelationId } from '@harbour/errors';
import { isAuditActionName, type AuditAction } from './audit-actions.js';
import type { AuditBody, AuditInput, AuditRecord } from './audit-record.js';
import { chainHash } from './chain-hash.js';
import { assertSafeAuditValue } from './safe-payload.js';
import { AuditRepository } from './audit.repository.js';

/** What `append` returns: the body and its append id (`audit.entry.id` once sealed). */
export type AppendedAuditEntry = AuditBody & { readonly id: number };

/** Entries chained per sealing transaction: big enough to amortise a commit, small enough to keep the head lock short. */
const SEAL_BATCH = 2000;
/** How often each process looks for entries nobody sealed (a process that died between commit and seal). */
const SWEEP_MS = 1000;

/**
 * Appends to the tamper-evident audit trail, in two steps.
 *
 * 1. `append` inserts the entry into `audit.pending` in the *current* transaction (`Db.run`
 *    carries it), so it commits or rolls back with the change it records. This is a plain
 *    insert: concurrent use cases in any number of processes never wait on one another.
 * 2. Sealing moves committed pending entries into the hash chain (`audit.entry`): under the
 *    chain-head row lock it deletes a batch from `audit.pending`, gives each the next gap-free
 *    `seq`, chains the hashes, inserts them and advances the head, in one transaction. Sealers in
 *    several processes serialise on that lock, so there is one sequence with no gaps or forks.
 *    A seal starts as soon as an appending transaction commits (`Db.afterCommit`), every
 *    `SWEEP_MS` in every process with the audit module running, and before every read of the
 *    trail (`seal()`: search, verify, export, checkpoints), so readers always see everything
 *    committed before they asked.
 *
 * Why not chain inside the caller's transaction: the head lock would then be held until the
 * caller commits, serialising every audited use case on one row and one WAL flush at a time
 * (measured: about a quarter of plain-insert throughput). Sealing in batches chains hundreds
 * of entries per lock and per commit.
 *
 * Between commit and seal (normally milliseconds) an entry is durable but not yet covered by
 * the chain; the pending table refuses UPDATE and TRUNCATE, and nothing but the sealer deletes.
 */
@Injectable()
export class AuditLog implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('audit');

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AuditRepository) private readonly repo: AuditRepository,
  ) {}

  readonly #queue: { body: AuditBody; resolve: (r: AppendedAuditEntry) => void; reject: (e: unknown) => void }[] = [];
  #flushing = false;
  #sealing: Promise<void> | undefined;
  #sealAgain = false;
  #sweep: NodeJS.Timeout | undefined;

  onApplicationBootstrap(): void {
    this.#sweep = setInterval(() => void this.sweep(), SWEEP_MS);
    this.#sweep.unref();
  }

  /** Seal what this process appended before the pool closes (a sweep elsewhere would, later). */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    await this.#sealing;
    await this.seal().catch((err: unknown) => this.logger.warn(`audit seal at shutdown failed: ${errorName(err)}`));
  }

  async append<A extends AuditAction>(input: AuditInput<A>): Promise<AppendedAuditEntry> {
    const body = AuditLog.body(input);
    if (!this.db.inTransaction()) return this.enqueue(body);
    const id = await this.repo.insertPending(body);
    this.db.afterCommit(() => this.sealSoon());
    return { ...body, id };
  }

  /**
   * Chain every entry committed before this call; resolves once they are in `audit.entry`.
   * Waits for a seal another process is running (the head lock), then seals what is left.
   * Inside a transaction it joins it (and holds the head lock until that transaction ends).
   */
  async seal(): Promise<void> {
    while ((await this.sealBatch()) === SEAL_BATCH) {
      // A full batch: there may be more.
    }
  }

  /**
   * Start a seal unless one is running here; if one is, run another after it (it may have missed
   * ours). Returns the running seal, which never rejects (failures are logged; the sweep retries).
   */
  sealSoon(): Promise<void> {
    if (this.#sealing) {
      this.#sealAgain = true;
      return this.#sealing;
    }
    this.#sealing = (async () => {
      do {
        this.#sealAgain = false;
        await this.seal();
      } while (this.#sealAgain);
    })()
      .catch((err: unknown) => this.logger.error(`audit seal failed (the sweep retries): ${errorName(err)}`))
      .finally(() => {
        this.#sealing = undefined;
      });
    return this.#sealing;
  }

  private async sweep(): Promise<void> {
    if (this.#sealing) return;
    try {
      if (await this.repo.hasPending()) void this.sealSoon();
    } catch (err) {
      this.logger.warn(`audit sweep failed: ${errorName(err)}`);
    }
  }

  /** One sealing transaction: returns how many entries it chained. */
  private async sealBatch(): Promise<number> {
    return this.db.run(async () => {
      const head = await this.repo.lockHead();
      const pending = await this.repo.takePending(SEAL_BATCH);
      if (pending.length === 0) return 0;
      await this.repo.insertManyAndAdvance(AuditLog.chainOn(head, pending));
      return pending.length;
    });
  }

  /**
   * Appends made outside any transaction (failures recorded after their use case rolled back,
   * guard refusals) are batched: concurrent ones share one insert and one commit. Each caller
   * still waits for its entry to be durable.
   */
  private enqueue(body: AuditBody): Promise<AppendedAuditEntry> {
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
          const ids = await this.repo.insertPendingMany(batch.map((b) => b.body));
          batch.forEach((b, i) => b.resolve({ ...b.body, id: ids[i]! }));
          this.db.afterCommit(() => this.sealSoon());
        } catch (err) {
          batch.forEach((b) => b.reject(err));
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  private static body<A extends AuditAction>(input: AuditInput<A>): AuditBody {
    if (!isAuditActionName(input.action)) throw new Error(`audit action ${input.action} is not domain.verb_past`);
    assertSafeAuditValue(input.payload);
    assertSafeAuditValue(input.actor, 'actor');
    if (input.target) assertSafeAuditValue(input.target, 'target');
    const spanContext = trace.getActiveSpan()?.spanContext();
    const traceId = spanContext && !/^0+$/.test(spanContext.traceId) ? spanContext.traceId : null;
    return {
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
  }

  /** Chain appended entries, in append-id order, on top of `head`. */
  private static chainOn(head: { seq: number; hash: string }, entries: readonly AppendedAuditEntry[]): AuditRecord[] {
    let prev = head;
    return entries.map((e) => {
      const body = { ...e, seq: prev.seq + 1 };
      const record: AuditRecord = { ...body, prevHash: prev.hash, hash: chainHash(prev.hash, body) };
      prev = { seq: record.seq, hash: record.hash };
      return record;
    });
  }
}

/** The error's class and code only: messages from the driver can quote values. */
function errorName(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${err.name} ${code}` : err.name;
  }
  return 'unknown error';
}

/** The actor for work the station does by itself (scheduled jobs, CLI maintenance). */
export const SYSTEM_ACTOR = { type: 'system', id: 'harbour', role: null, orgType: 'station', orgId: null } as const;
export const ANONYMOUS_ACTOR = { type: 'anonymous', id: null, role: null, orgType: null, orgId: null } as const;
