import type { DataSource } from 'typeorm';
import type { Logger as PinoLogger } from 'pino';
import { loadConfig, loadKeyMaterial, type HarbourConfig, type KeyMaterial } from '@harbour/config';
import { Db, openDatabaseServer, type DatabaseServer } from '@harbour/persistence';
import { JobQueue } from '@harbour/queue';
import { createLogger, Metrics } from '@harbour/telemetry';
import { createHarbourDataSource, runMigrations } from '@harbour/schema';
import { createObjectStore, type ObjectStore } from '@harbour/storage';

/**
 * Everything a Harbour process shares: built once at boot by `bootRuntime()`, handed to the
 * Nest modules of the API and the worker, and closed in reverse order on shutdown.
 * No domain state lives here: all state is in PostgreSQL and object storage, so any number of
 * processes can run side by side.
 */
export interface Runtime {
  readonly config: HarbourConfig;
  readonly keys: KeyMaterial;
  readonly logger: PinoLogger;
  readonly metrics: Metrics;
  readonly server: DatabaseServer;
  readonly dataSource: DataSource;
  readonly db: Db;
  readonly queue: JobQueue;
  readonly store: ObjectStore;
  close(): Promise<void>;
}

export interface BootOptions {
  readonly config?: HarbourConfig;
  readonly role: string;
  /** Run migrations (default true). */
  readonly migrate?: boolean;
  /** Start the job queue (default true). */
  readonly queue?: boolean;
}

export async function bootRuntime(opts: BootOptions): Promise<Runtime> {
  const config = opts.config ?? loadConfig();
  const logger = createLogger(config.log.level);
  const keys = loadKeyMaterial(config);
  const server = await openDatabaseServer(config, (line) => logger.debug({ component: 'embedded-postgres' }, line.trim()));
  const dataSource = createHarbourDataSource(server.url, { poolSize: config.database.poolSize, applicationName: `harbour-${opts.role}` });
  await dataSource.initialize();
  if (opts.migrate !== false) {
    const ran = await runMigrations(dataSource);
    if (ran > 0) logger.info({ migrations: ran }, 'migrations applied');
  }
  const queue = new JobQueue(server.url, (err) => logger.error({ component: 'queue', error: err.message }, 'queue error'));
  if (opts.queue !== false) await queue.start();
  let closed = false;
  const db = new Db(dataSource);
  return {
    config,
    keys,
    logger,
    metrics: new Metrics(),
    server,
    dataSource,
    db,
    queue,
    store: createObjectStore(config),
    async close() {
      if (closed) return;
      closed = true;
      await queue.stop().catch(() => undefined);
      // Let after-commit work (sealing audit entries) finish before the pool goes.
      await db.settle();
      await dataSource.destroy().catch(() => undefined);
      await server.close().catch(() => undefined);
    },
  };
}
