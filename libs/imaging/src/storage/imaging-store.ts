import { Inject, Injectable } from '@nestjs/common';
import { PassThrough, type Readable } from 'node:stream';
import type { ObjectStore } from '@harbour/storage';
import { TrustKeyRing } from '@harbour/vault';
import { openStream, sealStream } from './sealed-stream.js';

/**
 * Where imaging blobs live in the object store (local folder or S3-compatible):
 *
 *   imaging/originals/<trustId>/<instanceId>.dcm.sealed    originals, sealed with the trust's data key
 *   imaging/deid/<projectId>/<trustId>/<deidSopUid>.dcm     de-identified cache of one project
 *
 * Originals are trust-scoped and encrypted (chunked AES-256-GCM under the trust's vault data key,
 * see sealed-stream.ts): revoking the trust's key makes them unreadable with the rest of its vault.
 * The cache holds de-identified output only and is plain; it is per project and per trust, so
 * ending one trust's part of a project deletes exactly that trust's prefix.
 */
/**
 * The object store the imaging context uses. Bound to the runtime's store by whoever composes the
 * module (`{ provide: IMAGING_OBJECT_STORE, useExisting: OBJECT_STORE }`); the lib does not
 * import the runtime, which imports the schema, which imports this lib's entities.
 */
export const IMAGING_OBJECT_STORE = Symbol('IMAGING_OBJECT_STORE');

@Injectable()
export class ImagingStore {
  constructor(
    @Inject(IMAGING_OBJECT_STORE) private readonly store: ObjectStore,
    @Inject(TrustKeyRing) private readonly keyRing: TrustKeyRing,
  ) {}

  static originalKey(trustId: string, instanceId: string): string {
    return `imaging/originals/${trustId}/${instanceId}.dcm.sealed`;
  }

  static cachePrefix(projectId: string, trustId?: string): string {
    return trustId ? `imaging/deid/${projectId}/${trustId}/` : `imaging/deid/${projectId}/`;
  }

  static cacheKey(projectId: string, trustId: string, deidSopUid: string): string {
    return `${ImagingStore.cachePrefix(projectId, trustId)}${deidSopUid}.dcm`;
  }

  /** Seal and store an original, streaming. */
  async putOriginal(trustId: string, instanceId: string, body: Readable): Promise<{ key: string; bytes: number }> {
    const encrypt = await this.keyRing.encrypter(trustId);
    const key = ImagingStore.originalKey(trustId, instanceId);
    const sealed = sealStream(encrypt);
    body.on('error', (e) => sealed.destroy(e));
    const { bytes } = await this.store.put(key, body.pipe(sealed));
    return { key, bytes };
  }

  /** The original's plaintext as a stream; errors if the object was tampered with or the key revoked. */
  async openOriginal(trustId: string, key: string): Promise<Readable> {
    const decrypt = await this.keyRing.decrypter(trustId);
    const src = await this.store.get(key);
    const out = openStream(decrypt);
    src.on('error', (e) => out.destroy(e));
    return src.pipe(out);
  }

  async readOriginal(trustId: string, key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.openOriginal(trustId, key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async deleteObject(key: string): Promise<void> {
    await this.store.delete(key);
  }

  async cached(key: string): Promise<boolean> {
    return this.store.exists(key);
  }

  async putCache(key: string, body: Buffer | Readable): Promise<number> {
    return (await this.store.put(key, body)).bytes;
  }

  async getCache(key: string): Promise<Readable> {
    const s = await this.store.get(key);
    // A plain stream type for callers (S3 bodies are SDK streams).
    return s.pipe(new PassThrough());
  }

  async getCacheBuffer(key: string): Promise<Buffer> {
    return this.store.getBuffer(key);
  }

  /** Delete a project's cache (one trust's part or all of it); returns objects/prefixes removed. */
  async purgeProject(projectId: string, trustIds?: readonly string[]): Promise<number> {
    if (!trustIds) return this.store.deletePrefix(ImagingStore.cachePrefix(projectId));
    let n = 0;
    for (const t of trustIds) n += await this.store.deletePrefix(ImagingStore.cachePrefix(projectId, t));
    return n;
  }
}
