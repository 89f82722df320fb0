import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IngestionRunner } from '@harbour/ingestion';
import { writeFhirNdjsonExtract } from '@harbour/synthetic';
import type { TestApi } from './api.js';

/**
 * Ingest `count` synthetic patients (seeded) into a trust through the real pipeline (validation,
 * vault, research store), returning their NHS numbers in extract order.
 */
export async function ingestSyntheticPatients(api: TestApi, trustId: string, seed: number | string, count: number): Promise<string[]> {
  const nhs: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'harbour-ehr-'));
  try {
    await writeFhirNdjsonExtract(dir, seed, count, { onPatient: (p) => nhs.push(p.person.nhsNumber) });
    const runner = new IngestionRunner(api.rt);
    const done = await runner.run(await runner.createBatch(trustId, 'fhir', dir, null), dir);
    assert.equal(done.status, 'completed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return nhs;
}
