import type { INestApplicationContext } from '@nestjs/common';
import type { Runtime } from '@harbour/runtime';
import { QUEUES } from '@harbour/queue';
import { registerAuditCheckpointJob } from '@harbour/audit';
import { createIdentityServices } from '@harbour/auth';
import { createImagingServices, registerImagingJobs } from '@harbour/imaging';
import { AccessService } from '@harbour/access';
import { EhrIngestionService, IngestionUploadService, type IngestionBatchJob } from '@harbour/ingestion';
import { runWithContext } from '@harbour/errors';
import { ComputeJobRunner, registerComputeJobs } from '@harbour/compute';
import { randomUUID } from 'node:crypto';

/** Queue → handler wiring. Domain libs provide the handlers; the worker only connects them. */
export async function registerJobHandlers(rt: Runtime, ctx: INestApplicationContext): Promise<void> {
  const n = rt.config.worker.concurrency;
  const job =
    (queue: string, fn: (data: object) => Promise<void>) =>
    async (data: object): Promise<void> =>
      runWithContext({ correlationId: `job-${randomUUID()}` }, async () => {
        try {
          await fn(data);
          rt.metrics.jobsProcessed.inc({ queue, outcome: 'succeeded' });
        } catch (err) {
          rt.metrics.jobsProcessed.inc({ queue, outcome: 'failed' });
          rt.logger.error({ queue, error: err instanceof Error ? err.name : 'unknown' }, 'job failed');
          throw err; // pg-boss retries, then marks it failed
        }
      });

  // Periodic signed checkpoints of the audit trail (pg-boss cron: once per period across all workers).
  await registerAuditCheckpointJob(rt.queue, createIdentityServices(rt).auditTrail, rt.config.audit.checkpointCron);
  // imaging.deid: pre-warm a project's de-identified imaging cache.
  await registerImagingJobs(rt.queue, createImagingServices(rt), n);

  // Uploaded EHR extracts.
  const uploads = ctx.get(IngestionUploadService);
  const ingest = ctx.get(EhrIngestionService);
  await rt.queue.work<IngestionBatchJob>(
    QUEUES.ingestionBatch,
    job(QUEUES.ingestionBatch, async (d) => {
      await uploads.process(d as IngestionBatchJob, ingest);
    }),
    { concurrency: n },
  );

  // compute.run: partners' jobs in the sandbox (lease + heartbeat), and this process's sweeper.
  await registerComputeJobs(rt.queue, ctx.get(ComputeJobRunner), n);

  // Project expiry: every minute some worker ends the grants whose end date has passed.
  const access = ctx.get(AccessService);
  await rt.queue.schedule(QUEUES.accessExpiry, '* * * * *');
  await rt.queue.work(
    QUEUES.accessExpiry,
    job(QUEUES.accessExpiry, async () => {
      await access.expireDue();
    }),
  );
}
