import { Worker } from 'node:worker_threads';
import type { SafePrivateTag } from '../deid/engine.js';
import type { AnnexEOption } from '../profile/profile.js';
import type { DicomDeidOutcome } from '../deidentify.js';

/** What each worker needs to rebuild the de-identification context (plain, cloneable data). */
export interface PoolInit {
  readonly masterKey: ArrayBuffer;
  readonly projectId: string;
  readonly options: readonly AnnexEOption[] | undefined;
  readonly safePrivateTags: readonly SafePrivateTag[] | undefined;
  readonly optedOutNhsNumbers: readonly string[];
}
export interface PoolRequest {
  readonly id: number;
  readonly inPath: string;
  readonly outPath: string;
}
export interface PoolResponse {
  readonly id: number;
  readonly outcome: DicomDeidOutcome;
}

/**
 * A fixed pool of worker threads running `deidentifyDicomFile`: the per-file work (parsing and
 * rewriting headers, hashing UIDs) is CPU-bound, so a directory run uses every core instead of one.
 * Each worker takes up to `perWorker` files at once, overlapping one file's I/O with another's work.
 */
export class DeidThreadPool {
  private readonly workers: { w: Worker; busy: number; ready: Promise<void> }[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (o: DicomDeidOutcome) => void; reject: (e: Error) => void; slot: { busy: number } }
  >();
  private readonly waiting: (() => void)[] = [];
  private nextId = 0;

  constructor(
    init: PoolInit,
    threads: number,
    private readonly perWorker = 2,
  ) {
    const tsSources = import.meta.url.endsWith('.ts');
    const workerData = {
      ...init,
      moduleUrl: new URL(tsSources ? './deid-worker.ts' : './deid-worker.js', import.meta.url).href,
      registerTs: tsSources && !process.execArgv.some((a) => a.includes('@swc-node/register')),
    };
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData });
      const slot = { w, busy: 0, ready: Promise.resolve() };
      slot.ready = new Promise<void>((ok, fail) => {
        const onMessage = (m: PoolResponse | { ready: true }): void => {
          if ('ready' in m) return ok();
          const p = this.pending.get(m.id);
          if (!p) return;
          this.pending.delete(m.id);
          p.slot.busy--;
          this.waiting.shift()?.();
          p.resolve(m.outcome);
        };
        w.on('message', onMessage);
        w.once('error', (e) => {
          fail(e);
          for (const [id, p] of this.pending) {
            if (p.slot !== slot) continue;
            this.pending.delete(id);
            p.reject(e);
          }
        });
      });
      this.workers.push(slot);
    }
  }

  /** Wait until every worker has loaded (a worker that cannot start rejects here). */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready));
  }

  async run(inPath: string, outPath: string): Promise<DicomDeidOutcome> {
    for (;;) {
      const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
      if (slot.busy < this.perWorker) {
        slot.busy++;
        const id = this.nextId++;
        return new Promise<DicomDeidOutcome>((resolve, reject) => {
          this.pending.set(id, { resolve, reject, slot });
          slot.w.postMessage({ id, inPath, outPath } satisfies PoolRequest);
        });
      }
      await new Promise<void>((ok) => this.waiting.push(ok));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((s) => s.w.terminate()));
  }
}
