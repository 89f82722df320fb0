import { QUEUES, type JobQueue } from '@harbour/queue';
import type { AuditTrailService } from './audit-trail.service.js';

/**
 * Periodic checkpoints: a pg-boss cron schedule (stored in PostgreSQL, so with many workers the
 * job still runs once per period) whose handler signs the current head.
 */
export async function registerAuditCheckpointJob(queue: JobQueue, trail: AuditTrailService, cron: string): Promise<void> {
  await queue.schedule(QUEUES.auditCheckpoint, cron);
  await queue.work(QUEUES.auditCheckpoint, async () => {
    await trail.createCheckpoint();
  });
}
