// Entry of a de-identification worker thread. Plain JavaScript so that a worker can load the
// TypeScript sources: when the process runs them through @swc-node/register (bin/harbour.mjs
// registers it in the main thread only), the worker registers the same loader first.
import { workerData } from 'node:worker_threads';

if (workerData.registerTs) await import('@swc-node/register/esm-register');
await import(workerData.moduleUrl);
