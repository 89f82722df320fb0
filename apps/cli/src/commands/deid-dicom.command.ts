import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import {
  ALL_ANNEX_E_OPTIONS,
  DEFAULT_ANNEX_E_OPTIONS,
  DICOM_DEID_PROFILE_VERSION,
  deidentifyDicomDirectory,
  type AnnexEOption,
} from '@harbour/deid-dicom';
import { parseOptOutFile } from '@harbour/deid-ehr';
import { loadConfig, loadKeyMaterial } from '@harbour/config';
import { offlineProjectKeys, progressBar } from './support.js';

/** The station master key, for worker threads that re-derive the project keys themselves. */
const offlineMasterKey = (): Buffer => loadKeyMaterial(loadConfig()).masterKey();

/**
 * `harbour deid dicom <inDir> <outDir> --project <id> [--opt-outs <file>]`: de-identify a folder
 * of DICOM files offline (PS3.15 Annex E) with the station's keys for that project, so a trust's
 * IG team sees exactly what a project would receive (same UIDs, pseudonyms and date shifts).
 * Released files keep their relative paths; refused ones are listed in `rejections.json`.
 * Prints a JSON summary; exit code 0 when the run completed, even with rejections.
 */
export function registerDeidDicom(deid: Command): void {
  deid
    .command('dicom <inDir> <outDir>')
    .description('DICOM Part 10 files → de-identified files at the same relative paths, with rejections.json')
    .requiredOption('--project <id>', 'project id (UIDs, pseudonyms and date shifts are per project)')
    .option('--opt-outs <file>', 'file of opted-out NHS numbers (one per line); their files are rejected')
    .option('--options <list>', `comma-separated PS3.15 §E.3 options (default ${DEFAULT_ANNEX_E_OPTIONS.join(',')})`)
    .option('--concurrency <n>', 'files processed at once', '4')
    .option('--threads <n>', 'run on n worker threads (worth it on many-core hosts and large folders; ~1.5 s to start)')
    .action(
      async (
        inDir: string,
        outDir: string,
        opts: { project: string; optOuts?: string; options?: string; concurrency: string; threads?: string },
      ) => {
        if (!statSync(resolve(inDir), { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${inDir} is not a folder`);
        const options = opts.options
          ?.split(',')
          .map((o) => o.trim())
          .filter(Boolean);
        const unknown = options?.filter((o) => !(ALL_ANNEX_E_OPTIONS as readonly string[]).includes(o));
        if (unknown?.length) throw new Error(`unknown option(s): ${unknown.join(', ')} (known: ${ALL_ANNEX_E_OPTIONS.join(', ')})`);
        const concurrency = Number(opts.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency must be a positive integer');
        const threads = opts.threads === undefined ? undefined : Number(opts.threads);
        if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new Error('--threads must be a positive integer');
        const keys = offlineProjectKeys(opts.project);
        const optOuts = opts.optOuts ? await parseOptOutFile(resolve(opts.optOuts)) : undefined;
        const bar = progressBar('deid dicom');
        const summary = await deidentifyDicomDirectory(resolve(inDir), resolve(outDir), {
          keys,
          concurrency,
          ...(options ? { options: options as AnnexEOption[] } : {}),
          ...(threads
            ? { threads: { masterKey: offlineMasterKey(), count: threads, optedOutNhsNumbers: optOuts ?? [] } }
            : optOuts
              ? { isOptedOut: (nhs: string) => optOuts.has(nhs) }
              : {}),
          onProgress: (p) => bar.update(p.done, p.total),
        });
        bar.stop();
        process.stdout.write(
          `${JSON.stringify({ projectId: opts.project, profileVersion: DICOM_DEID_PROFILE_VERSION, optOuts: optOuts?.size ?? 0, ...summary })}\n`,
        );
      },
    );
}
