import { QUEUES, type JobQueue } from '@harbour/queue';
import type { ComputeJobRunner } from './compute-job.runner.js';
import type { ComputeRunMessage } from './compute-job.service.js';

/**
 * Worker wiring for the `compute.run` queue: each message names a job; the runner takes it only
 * if it is still queued (or its previous run's lease expired), so duplicate deliveries and
 * pg-boss retries are harmless. Also starts this process's sweeper (stale leases, lost enqueues,
 * purges of withdrawn outputs).
 */
export async function registerComputeJobs(queue: JobQueue, runner: ComputeJobRunner, concurrency: number): Promise<void> {
  await queue.work<ComputeRunMessage>(
    QUEUES.computeJob,
    async (message) => {
      await runner.process(message.jobId);
    },
    { concurrency },
  );
  runner.startSweeper();
}
