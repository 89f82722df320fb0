import { createHmac } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { recordEncrypter } from '../vault-crypto.js';
import type { SealInit, SealRequest, SealResponse } from './seal-protocol.js';

/** A record ready for the vault: its ciphertext and the keyed fingerprint of its plaintext. */
export interface SealedRecord {
  ciphertext: Buffer;
  fingerprint: string;
}

/** Batches smaller than this are sealed on the calling thread (a worker costs ~100 ms to start). */
const THREAD_FROM = 256;

/**
 * Encrypts records under a trust's data key (AES-256-GCM, see {@link recordEncrypter}) and
 * fingerprints their plaintext (HMAC-SHA256, for change detection), in batches. Large batches are
 * sealed on a worker thread, so the caller can read and validate the next batch meanwhile: per
 * record, sealing costs about as much as parsing and validating, so this puts a second core to
 * work. Small batches are sealed in place and never start the thread. Call {@link close} when done.
 */
export class RecordSealer {
  private readonly encryptHere: (plain: Buffer) => Buffer;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (r: SealedRecord[]) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(
    private readonly key: Buffer,
    private readonly keyVersion: number,
    private readonly fingerprintKey: Buffer,
  ) {
    this.encryptHere = recordEncrypter(key, keyVersion);
  }

  /** The fingerprint alone (same function the batches use). */
  fingerprint(plaintext: string | Buffer): string {
    return createHmac('sha256', this.fingerprintKey).update(plaintext).digest('base64url');
  }

  /** Seal each plaintext (UTF-8 of each string); results are in input order. */
  async seal(plaintexts: readonly string[]): Promise<SealedRecord[]> {
    if (this.failure) throw this.failure;
    if (plaintexts.length < THREAD_FROM && !this.worker) {
      return plaintexts.map((p) => {
        const bytes = Buffer.from(p, 'utf8');
        return { ciphertext: this.encryptHere(bytes), fingerprint: this.fingerprint(bytes) };
      });
    }
    const worker = this.start();
    const lengths = plaintexts.map((p) => Buffer.byteLength(p, 'utf8'));
    const input = new ArrayBuffer(lengths.reduce((a, b) => a + b, 0));
    const bytes = Buffer.from(input);
    let at = 0;
    for (const p of plaintexts) at += bytes.write(p, at, 'utf8');
    const id = this.nextId++;
    return new Promise<SealedRecord[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, input, lengths } satisfies SealRequest, [input]);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const init: SealInit = {
      key: Uint8Array.from(this.key).buffer,
      keyVersion: this.keyVersion,
      fingerprintKey: Uint8Array.from(this.fingerprintKey).buffer,
    };
    // No flags (no module loader) and no environment: the thread needs neither.
    const w = new Worker(new URL('./seal-worker.mjs', import.meta.url), {
      workerData: init,
      execArgv: [],
      env: {},
      name: 'harbour-vault-sealer',
    });
    w.on('message', (m: SealResponse) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) return p.reject(new Error(m.error));
      const out = Buffer.from(m.output);
      const sealed: SealedRecord[] = [];
      let at = 0;
      m.lengths.forEach((len, i) => {
        sealed.push({ ciphertext: out.subarray(at, at + len), fingerprint: m.fingerprints[i]! });
        at += len;
      });
      p.resolve(sealed);
    });
    const fail = (e: Error): void => {
      this.failure ??= e;
      for (const p of this.pending.values()) p.reject(this.failure);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error('record sealer stopped')));
    this.worker = w;
    return w;
  }

  /** Stop the worker thread (if one was started); pending batches are rejected. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.failure ??= new Error('record sealer closed');
    if (w) await w.terminate();
  }
}
