import { test } from 'node:test';
import assert from 'node:assert/strict';
import dcmjs from 'dcmjs';
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import { encodeFileMeta, generateDicomInstance } from '../../synthetic/src/dicom/index.js';
import { deidentifyDicomBuffer } from './index.js';

/**
 * Files as archives really hold them: a File Meta Information that declares Explicit VR Little
 * Endian in front of a dataset written in Implicit VR Little Endian (seen from several
 * modalities and older PACS exports). Read it as it is, write it as declared.
 */
test('a dataset written implicit behind an explicit meta header is read and repaired', async () => {
  const keys = deriveProjectKeys(Buffer.alloc(32, 2), 'rw');
  const implicit = generateDicomInstance({
    seed: 4,
    kind: 'ct',
    transferSyntax: 'implicit-le',
    rows: 8,
    columns: 8,
    patient: { nhsNumber: '9434765919' },
  });
  const metaLen = implicit.readUInt32LE(132 + 8);
  const datasetStart = 132 + 12 + metaLen;
  const parsed = dcmjs.data.DicomMessage.readFile(
    implicit.buffer.slice(implicit.byteOffset, implicit.byteOffset + implicit.length) as ArrayBuffer,
  );
  const sopClass = String((parsed.meta['00020002'] as { Value: string[] }).Value[0]);
  const sopInstance = String((parsed.meta['00020003'] as { Value: string[] }).Value[0]);
  const mislabelled = Buffer.concat([encodeFileMeta(sopClass, sopInstance, '1.2.840.10008.1.2.1'), implicit.subarray(datasetStart)]);

  const res = await deidentifyDicomBuffer(mislabelled, { keys });
  assert.equal(res.outcome.status, 'released', JSON.stringify(res.outcome));
  const out = res.output!;
  const ds = dcmjs.data.DicomMessage.readFile(out.buffer.slice(out.byteOffset, out.byteOffset + out.length) as ArrayBuffer);
  const n = dcmjs.data.DicomMetaDictionary.naturalizeDataset(ds.dict) as Record<string, unknown>;
  assert.equal(n['PatientID'], keys.pseudonym('9434765919'));
  assert.equal(n['Modality'], 'CT');
  assert.equal((ds.meta['00020010'] as { Value: string[] }).Value[0], '1.2.840.10008.1.2.1');
});
