import type { Runtime } from '@harbour/runtime';
import { registerJobHandlers } from './job-handlers.js';

/**
 * The worker process: takes queued jobs (ingestion batches, de-identification, compute,
 * reports, scheduled expiry and checkpoints) from the shared PostgreSQL queue. Any number of
 * workers may run on any number of machines; pg-boss hands each job to exactly one of them.
 */
export async function startWorker(rt: Runtime): Promise<void> {
  await registerJobHandlers(rt);
  rt.logger.info({ concurrency: rt.config.worker.concurrency }, 'worker started');
}
