import type { Command } from 'commander';
import { bootRuntime } from '@harbour/runtime';
import { createApiApp } from '../../../api/src/bootstrap.js';
import { startWorker } from '../../../worker/src/worker.js';
import { seedDemoIfEmpty } from './demo.command.js';

/**
 * `harbour start`: API and worker in one process (the embedded default), or either alone
 * (`--api-only`, `--worker-only`) for deployments that scale them separately.
 */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the station: API and worker (default), or one of them')
    .option('--api-only', 'run only the HTTP API')
    .option('--worker-only', 'run only the background worker')
    .option('--no-seed', 'do not seed demo data into an empty database')
    .action(async (opts: { apiOnly?: boolean; workerOnly?: boolean; seed: boolean }) => {
      const started = Date.now();
      const role = opts.apiOnly ? 'api' : opts.workerOnly ? 'worker' : 'station';
      const rt = await bootRuntime({ role });
      let shuttingDown = false;
      const shutdown = async (signal: string): Promise<void> => {
        if (shuttingDown) return;
        shuttingDown = true;
        rt.logger.info({ signal }, 'shutting down');
        await app?.close().catch(() => undefined);
        await rt.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));

      if (opts.seed && rt.config.demo.seedOnStart && !opts.workerOnly) await seedDemoIfEmpty(rt);
      if (!opts.apiOnly) await startWorker(rt);
      let app: Awaited<ReturnType<typeof createApiApp>> | undefined;
      if (!opts.workerOnly) {
        app = await createApiApp(rt);
        await app.listen(rt.config.http.port, rt.config.http.host);
      }
      const url = rt.config.http.publicUrl;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const db = rt.server.embedded ? 'embedded PostgreSQL (.data/pg)' : 'PostgreSQL at DATABASE_URL';
      process.stdout.write(
        [
          '',
          `  Harbour is up (${role}, ${seconds}s) on ${db}.`,
          ...(app
            ? [
                `  API docs      ${url}/docs        (OpenAPI JSON at ${url}/docs-json)`,
                `  Health        ${url}/health/ready`,
                `  Metrics       ${url}/metrics`,
                '',
                '  Try:',
                `    curl ${url}/health/ready`,
                `    npx harbour demo credentials          # demo users and partner client`,
                `    npx harbour deid dicom <in> <out> --project demo`,
                `    npx harbour deid fhir <in> <out> --project demo`,
              ]
            : []),
          '  Ctrl-C stops everything.',
          '',
        ].join('\n'),
      );
    });
}
