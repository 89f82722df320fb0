import PgBoss from 'pg-boss';

/** Names of the queues Harbour uses; each is created at start so send/work never race. */
export const QUEUES = {
  ingestionBatch: 'ingestion.batch',
  dicomDeid: 'imaging.deid',
  computeJob: 'compute.run',
  reportGeneration: 'report.generate',
  auditCheckpoint: 'audit.checkpoint',
  accessExpiry: 'access.expiry',
  demoSeed: 'demo.seed',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export type JobHandler<T extends object> = (data: T, meta: { id: string; retryCount: number }) => Promise<void>;

/**
 * A thin facade over pg-boss: a PostgreSQL-backed queue (SKIP LOCKED), so any number of API and
 * worker processes on any number of machines share one queue through the one database.
 * Jobs whose worker dies are retried after their expiry (pg-boss marks them failed after
 * `retryLimit`), so a job is never left "running" forever.
 */
export class JobQueue {
  private readonly boss: PgBoss;
  private started = false;

  constructor(
    connectionString: string,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.boss = new PgBoss({ connectionString, schema: 'pgboss', max: 4, application_name: 'harbour-queue' } as PgBoss.ConstructorOptions);
    this.boss.on('error', (e: Error) => this.onError(e));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    for (const name of Object.values(QUEUES)) {
      await this.boss.createQueue(name, {
        name,
        retryLimit: 3,
        retryDelay: 5,
        retryBackoff: true,
        expireInSeconds: 15 * 60,
      } as PgBoss.Queue);
    }
    this.started = true;
  }

  /** Enqueue; `singletonKey` makes an enqueue idempotent for an in-flight job. */
  async send<T extends object>(
    queue: QueueName,
    data: T,
    opts: { singletonKey?: string; startAfterSeconds?: number } = {},
  ): Promise<string | null> {
    const options: PgBoss.SendOptions = {};
    if (opts.singletonKey) options.singletonKey = opts.singletonKey;
    if (opts.startAfterSeconds) options.startAfter = opts.startAfterSeconds;
    return this.boss.send(queue, data, options);
  }

  async work<T extends object>(queue: QueueName, handler: JobHandler<T>, opts: { concurrency?: number } = {}): Promise<void> {
    const n = opts.concurrency ?? 1;
    for (let i = 0; i < n; i++) {
      await this.boss.work<T>(queue, { batchSize: 1, pollingIntervalSeconds: 1 } as PgBoss.WorkOptions, async (jobs) => {
        for (const job of jobs) {
          await handler(job.data, { id: job.id, retryCount: (job as { retryCount?: number }).retryCount ?? 0 });
        }
      });
    }
  }

  async schedule(queue: QueueName, cron: string, data: object = {}): Promise<void> {
    await this.boss.schedule(queue, cron, data, { tz: 'UTC' });
  }

  async cancel(queue: QueueName, id: string): Promise<void> {
    await this.boss.cancel(queue, id);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 } as PgBoss.StopOptions);
  }
}
