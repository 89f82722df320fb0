import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { IngestionRunner } from '@harbour/ingestion';
import { progressBar, trustByCode, withRuntime } from './support.js';
import { registerIngestDicom } from './ingest-dicom.command.js';

/** `harbour ingest fhir|csv <dir> --trust <code>`: an extract folder into the vault, as one batch. */
export function registerIngest(program: Command): void {
  const ingest = program.command('ingest').description('ingest a trust extract into the vault');
  registerIngestDicom(ingest);
  for (const kind of ['fhir', 'csv'] as const) {
    ingest
      .command(`${kind} <dir>`)
      .description(kind === 'fhir' ? 'FHIR R4 bulk NDJSON files and Bundles' : 'flat CSV extract (patients and events files)')
      .requiredOption('--trust <code>', 'ODS code of the trust the extract comes from')
      .action(async (dir: string, opts: { trust: string }) => {
        const abs = resolve(dir);
        if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir} is not a folder`);
        await withRuntime(async (rt) => {
          const trust = await trustByCode(rt, opts.trust);
          const runner = new IngestionRunner(rt);
          const batch = await runner.createBatch(trust.id, kind, abs, 'cli');
          const bar = progressBar(`ingest ${kind}`);
          const done = await runner.run(batch, abs, (p) => bar.update(p.seen));
          bar.stop();
          process.stdout.write(
            `batch ${done.id} ${done.status}: ${done.records_seen} records, ${done.records_accepted} stored, ` +
              `${done.records_unchanged} unchanged, ${done.records_rejected} rejected\n`,
          );
          if (done.records_rejected > 0) {
            for (const r of await runner.batches.rejections(trust.id, done.id, 20))
              process.stdout.write(`  ${r.file}:${r.line} ${r.code}: ${r.message}\n`);
          }
          if (done.status !== 'completed') process.exitCode = 1;
        });
      });
  }
}
