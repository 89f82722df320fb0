import { parentPort, workerData } from 'node:worker_threads';
import { deriveProjectKeys } from '@harbour/pseudonymisation';
import { deidentifyDicomFile, type DicomDeidContext } from '../deidentify.js';
import type { PoolInit, PoolRequest, PoolResponse } from './thread-pool.js';

/**
 * A worker thread of the de-identification pool: re-derives the project keys from the master key
 * and project id it was given (functions cannot cross threads), then de-identifies the files it
 * is sent, one message per file.
 */
const init = workerData as PoolInit;
const optedOut = new Set(init.optedOutNhsNumbers);
const ctx: DicomDeidContext = {
  keys: deriveProjectKeys(new Uint8Array(init.masterKey), init.projectId),
  options: init.options,
  safePrivateTags: init.safePrivateTags,
  ...(optedOut.size > 0 ? { isOptedOut: (nhs: string) => optedOut.has(nhs) } : {}),
};
const port = parentPort!;
port.on('message', (m: PoolRequest) => {
  void deidentifyDicomFile(m.inPath, m.outPath, ctx).then(
    (outcome) => port.postMessage({ id: m.id, outcome } satisfies PoolResponse),
    () =>
      port.postMessage({
        id: m.id,
        outcome: { status: 'rejected', code: 'internal_error', message: 'unexpected worker error' },
      } satisfies PoolResponse),
  );
});
port.postMessage({ ready: true });
