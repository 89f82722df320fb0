import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '@harbour/runtime';
import { IngestionRunner } from '@harbour/ingestion';
import { createImagingServices } from '@harbour/imaging';
import { SYSTEM_ACTOR } from '@harbour/audit';
import { writeFhirNdjsonExtract, dicom } from '@harbour/synthetic';

/** Demo imaging: a small CT study for the first few patients of each trust. */
const IMAGED_PATIENTS_PER_TRUST = 6;

/**
 * Synthetic patients for the demo trusts, through the real ingestion paths (validation, vault
 * encryption, research projection; DICOM through the same code as STOW-RS), so the demo
 * exercises what production does. Deterministic: trust i gets seed `seed + i`.
 */
export async function seedDemoPatients(
  rt: Runtime,
  trusts: readonly { id: string }[],
  patientsPerTrust: number,
  seed: number,
): Promise<{ patients: number; records: number; images: number }> {
  let patients = 0;
  let records = 0;
  let images = 0;
  const runner = new IngestionRunner(rt);
  const imaging = createImagingServices(rt);
  for (const [i, trust] of trusts.entries()) {
    const dir = mkdtempSync(join(tmpdir(), 'harbour-demo-'));
    try {
      await writeFhirNdjsonExtract(dir, seed + i, patientsPerTrust);
      const batch = await runner.createBatch(trust.id, 'fhir', 'demo-seed', 'demo');
      const done = await runner.run(batch, dir);
      records += done.records_accepted;
      patients += patientsPerTrust;

      const patientFile = readdirSync(dir).find((f) => f.startsWith('Patient'));
      const nhsNumbers = patientFile
        ? readFileSync(join(dir, patientFile), 'utf8')
            .split('\n')
            .filter(Boolean)
            .slice(0, IMAGED_PATIENTS_PER_TRUST)
            .map(
              (l) =>
                (JSON.parse(l) as { identifier?: { system?: string; value?: string }[] }).identifier?.find((x) =>
                  x.system?.includes('nhs-number'),
                )?.value,
            )
            .filter((x): x is string => typeof x === 'string')
        : [];
      const session = await imaging.ingest.open(trust.id, SYSTEM_ACTOR, 'cli', 'demo-seed', null);
      for (const [k, nhs] of nhsNumbers.entries()) {
        const study = dicom.generateDicomStudy((seed + i) * 1000 + k, { kind: 'ct', instances: 3, patient: { nhsNumber: nhs } });
        for (const [n, inst] of study.instances.entries()) {
          const f = join(dir, `img-${k}-${n}.dcm`);
          writeFileSync(f, inst.buffer);
          const o = await session.ingestFile(f);
          if (o.kind !== 'failed') images++;
        }
      }
      await session.finish();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { patients, records, images };
}
