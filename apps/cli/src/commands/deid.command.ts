import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { deidentifyEhrDirectory, parseOptOutFile } from '@harbour/deid-ehr';
import { offlineProjectKeys, progressBar } from './support.js';
import { registerDeidDicom } from './deid-dicom.command.js';

/**
 * Offline tools for a trust's information-governance team: see exactly what would leave, using
 * the station's keys (same pseudonyms, offsets and UIDs as the station for that project), with no
 * database. Exit code 0 when the run completed, even with rejections.
 */
export function registerDeid(program: Command): void {
  const deid = program.command('deid').description('de-identify files offline into a folder, as a project would receive them');
  registerDeidDicom(deid);
  deid
    .command('fhir <inDir> <outDir>')
    .description('FHIR NDJSON, Bundles and CSV → de-identified NDJSON per type and CSV, with rejections.json')
    .requiredOption('--project <id>', 'project id (pseudonyms and date shifts are per project)')
    .option('--opt-outs <file>', 'file of opted-out NHS numbers (one per line)')
    .action(async (inDir: string, outDir: string, opts: { project: string; optOuts?: string }) => {
      if (!statSync(resolve(inDir), { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${inDir} is not a folder`);
      const keys = offlineProjectKeys(opts.project);
      const optOuts = opts.optOuts ? await parseOptOutFile(resolve(opts.optOuts)) : undefined;
      const bar = progressBar('deid fhir');
      const res = await deidentifyEhrDirectory(resolve(inDir), resolve(outDir), {
        keys,
        ...(optOuts ? { optOuts } : {}),
        onProgress: (p) => bar.update((p as { records?: number }).records ?? 0),
      });
      bar.stop();
      process.stdout.write(`${JSON.stringify(summarise(res))}\n`);
    });
}

function summarise(res: import('@harbour/deid-ehr').DeidentifyDirectoryResult): Record<string, unknown> {
  return {
    projectId: res.projectId,
    profileVersion: res.profileVersion,
    written: res.written,
    rejected: res.rejected,
    rejectionsByCode: res.rejectionsByCode,
    optedOutPatients: res.optedOutPatients,
    optedOutRecords: res.optedOutRecords,
    k: res.kAnonymity,
    durationMs: res.durationMs,
  };
}
