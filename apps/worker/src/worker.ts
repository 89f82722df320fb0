import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Runtime } from '@harbour/runtime';
import { NestPinoLogger } from '@harbour/telemetry';
import { WorkerModule } from './worker.module.js';
import { registerJobHandlers } from './job-handlers.js';

/**
 * The worker process: takes queued jobs (ingestion batches, de-identification, compute,
 * reports, scheduled expiry and checkpoints) from the shared PostgreSQL queue. Any number of
 * workers may run on any number of machines; pg-boss hands each job to exactly one of them.
 */
export async function startWorker(rt: Runtime): Promise<INestApplicationContext> {
  const ctx = await NestFactory.createApplicationContext(WorkerModule.forRoot(rt), { logger: new NestPinoLogger(rt.logger) });
  await registerJobHandlers(rt, ctx);
  rt.logger.info({ concurrency: rt.config.worker.concurrency }, 'worker started');
  return ctx;
}
