import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import { deidentifyDicomDirectory } from '../deidentify.js';
import { generateDicomInstance, syntheticNhsNumber } from '../../../synthetic/src/dicom/index.js';

test('a directory run on worker threads writes exactly what the single-threaded run writes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'deid-pool-'));
  try {
    const input = join(dir, 'in');
    await mkdir(input);
    for (let i = 0; i < 12; i++)
      await writeFile(
        join(input, `${i}.dcm`),
        generateDicomInstance({ seed: 500 + i, ...(i === 3 ? { burnedInAnnotation: 'YES' as const } : {}) }),
      );
    await writeFile(join(input, 'junk.txt'), 'not dicom');
    const master = Buffer.alloc(32, 3);
    const keys = deriveProjectKeys(master, 'pool-spec');
    const optedOut = syntheticNhsNumber(505);
    const single = await deidentifyDicomDirectory(input, join(dir, 'a'), { keys, isOptedOut: (n) => n === optedOut });
    const threaded = await deidentifyDicomDirectory(input, join(dir, 'b'), {
      keys,
      threads: { masterKey: master, count: 2, optedOutNhsNumbers: [optedOut] },
    });
    assert.deepEqual({ ...threaded, elapsedMs: 0, rejectionsPath: '' }, { ...single, elapsedMs: 0, rejectionsPath: '' });
    assert.deepEqual(single.byCode, { 'quarantined:burned_in_annotation': 1, patient_opted_out: 1, not_dicom: 1 });
    const names = (await readdir(join(dir, 'a'))).sort();
    assert.deepEqual((await readdir(join(dir, 'b'))).sort(), names);
    for (const n of names) assert.ok((await readFile(join(dir, 'a', n))).equals(await readFile(join(dir, 'b', n))), n);
    await assert.rejects(
      deidentifyDicomDirectory(input, join(dir, 'c'), { keys, isOptedOut: () => false, threads: { masterKey: master } }),
      /cannot cross threads/,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
