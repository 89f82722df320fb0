import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';

type AfterCommitHook = () => void | Promise<unknown>;

interface TxContext {
  readonly em: EntityManager;
  readonly afterCommit: AfterCommitHook[];
}

const current = new AsyncLocalStorage<TxContext>();

/**
 * Transactions carried by async context: a use case opens one with `run()`, and every
 * repository call inside it (including the audit append) uses the same transaction without
 * passing a manager around. Nested `run()` joins the outer transaction.
 */
export class Db {
  constructor(readonly dataSource: DataSource) {}

  /** Work started by after-commit hooks and not finished yet (`settle()` waits for it). */
  readonly #inFlight = new Set<Promise<unknown>>();

  /** The manager of the current transaction, or the pool when none is open. */
  manager(): EntityManager {
    return current.getStore()?.em ?? this.dataSource.manager;
  }

  inTransaction(): boolean {
    return current.getStore() !== undefined;
  }

  async run<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const open = current.getStore();
    if (open) return fn(open.em);
    const afterCommit: AfterCommitHook[] = [];
    const result = await this.dataSource.transaction((em) => current.run({ em, afterCommit }, () => fn(em)));
    // Outside the transaction's async context, so a hook that opens its own transaction gets a new one.
    current.exit(() => {
      for (const hook of afterCommit) this.start(hook);
    });
    return result;
  }

  private start(hook: AfterCommitHook): void {
    const started = hook();
    if (!(started instanceof Promise)) return;
    const tracked = started.catch(() => undefined).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  /** Wait for work after-commit hooks started (call before closing the pool, so none is cut off). */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /**
   * Run `hook` once the current transaction has committed (never if it rolls back); at once when
   * no transaction is open. Hooks are fire-and-forget notifications (e.g. "the audit trail has
   * entries to seal"): the caller does not wait for what they start, but `settle()` does, and
   * must handle their own errors (a rejection is swallowed here).
   */
  afterCommit(hook: AfterCommitHook): void {
    const open = current.getStore();
    if (open) open.afterCommit.push(hook);
    else this.start(hook);
  }

  /** Raw parameterised SQL in the current transaction; only repositories call this. */
  async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const res: unknown = await this.manager().query(sql, params as unknown[]);
    // TypeORM's postgres driver answers UPDATE/DELETE with [rows, rowCount]; always hand back rows.
    if (Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === 'number') return res[0] as R[];
    return res as R[];
  }
}
