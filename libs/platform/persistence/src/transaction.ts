import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';

const current = new AsyncLocalStorage<EntityManager>();

/**
 * Transactions carried by async context: a use case opens one with `run()`, and every
 * repository call inside it (including the audit append) uses the same transaction without
 * passing a manager around. Nested `run()` joins the outer transaction.
 */
export class Db {
  constructor(readonly dataSource: DataSource) {}

  /** The manager of the current transaction, or the pool when none is open. */
  manager(): EntityManager {
    return current.getStore() ?? this.dataSource.manager;
  }

  inTransaction(): boolean {
    return current.getStore() !== undefined;
  }

  async run<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const open = current.getStore();
    if (open) return fn(open);
    return this.dataSource.transaction((em) => current.run(em, () => fn(em)));
  }

  /** Raw parameterised SQL in the current transaction; only repositories call this. */
  async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const res: unknown = await this.manager().query(sql, params as unknown[]);
    // TypeORM's postgres driver answers UPDATE/DELETE with [rows, rowCount]; always hand back rows.
    if (Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === 'number') return res[0] as R[];
    return res as R[];
  }
}
