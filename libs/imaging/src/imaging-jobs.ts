import { QUEUES, type JobQueue } from '@harbour/queue';
import { systemPrincipal } from '@harbour/auth';
import type { ImagingServices } from './imaging.factory.js';

/** Payload of the `imaging.deid` queue: pre-warm one project's de-identified imaging view and cache. */
export interface ImagingDeidJob {
  readonly projectId: string;
}

/**
 * Worker wiring for the `imaging.deid` queue: de-identify every instance a project may see into
 * its cache ahead of the first WADO-RS call (enqueue `{ projectId }` after approval or a large
 * ingest). The scope is checked as the station itself; an ended project does nothing.
 */
export async function registerImagingJobs(queue: JobQueue, imaging: ImagingServices, concurrency: number): Promise<void> {
  await queue.work<ImagingDeidJob>(
    QUEUES.dicomDeid,
    async (job) => {
      await imaging.retrieval.warm(systemPrincipal([]), job.projectId).catch((e: unknown) => {
        // project_not_active / not_found: nothing to warm (revoked or expired meanwhile).
        if ((e as { name?: string }).name !== 'DomainError') throw e;
      });
    },
    { concurrency },
  );
}
