import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '@harbour/runtime';
import { IngestionRunner } from '@harbour/ingestion';
import { writeFhirNdjsonExtract } from '@harbour/synthetic';

/**
 * Synthetic patients for the demo trusts, through the real ingestion path (validation, vault
 * encryption, research projection), so the demo exercises what production does. Deterministic:
 * trust i gets seed `seed + i`.
 */
export async function seedDemoPatients(
  rt: Runtime,
  trusts: readonly { id: string }[],
  patientsPerTrust: number,
  seed: number,
): Promise<{ patients: number; records: number }> {
  let patients = 0;
  let records = 0;
  const runner = new IngestionRunner(rt);
  for (const [i, trust] of trusts.entries()) {
    const dir = mkdtempSync(join(tmpdir(), 'harbour-demo-'));
    try {
      await writeFhirNdjsonExtract(dir, seed + i, patientsPerTrust);
      const batch = await runner.createBatch(trust.id, 'fhir', 'demo-seed', 'demo');
      const done = await runner.run(batch, dir);
      records += done.records_accepted;
      patients += patientsPerTrust;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { patients, records };
}
