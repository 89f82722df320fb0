import { readdir } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '@harbour/audit';
import { createImagingServices } from '@harbour/imaging';
import { progressBar, trustByCode, withRuntime } from './support.js';

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(root);
  return out;
}

/**
 * `harbour ingest dicom <dir> --trust <code>`: every file under a folder into the trust's vault,
 * exactly as STOW-RS would store it (idempotent per SOP Instance UID; unidentified patients held,
 * possible burned-in text quarantined, bad files listed with a reason code). One ingestion batch.
 * Exit code 0 when the run completed, even with failed files.
 */
export function registerIngestDicom(ingest: Command): void {
  ingest
    .command('dicom <dir>')
    .description('DICOM Part 10 files of a folder (recursively) into the trust vault, as one batch')
    .requiredOption('--trust <code>', 'ODS code of the trust the images come from')
    .action(async (dir: string, opts: { trust: string }) => {
      const abs = resolve(dir);
      if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir} is not a folder`);
      await withRuntime(async (rt) => {
        const trust = await trustByCode(rt, opts.trust);
        const { ingest: service } = createImagingServices(rt);
        const files = await listFiles(abs);
        const session = await service.open(trust.id, SYSTEM_ACTOR, 'cli', 'cli:dicom-folder', null);
        const bar = progressBar('ingest dicom');
        bar.update(0, files.length);
        const failures: { file: string; code: string; message: string }[] = [];
        try {
          for (const [i, f] of files.entries()) {
            const o = await session.ingestFile(f);
            if (o.kind === 'failed') failures.push({ file: relative(abs, f).split(sep).join('/'), code: o.code, message: o.message });
            bar.update(i + 1, files.length);
          }
        } catch (e) {
          bar.stop();
          await session.abort();
          throw e;
        }
        bar.stop();
        const s = await session.finish();
        process.stdout.write(`${JSON.stringify({ trust: trust.ods_code, ...s })}\n`);
        for (const f of failures.slice(0, 20)) process.stdout.write(`  ${f.file} ${f.code}: ${f.message}\n`);
        if (failures.length > 20) process.stdout.write(`  … and ${failures.length - 20} more\n`);
      });
    });
}
