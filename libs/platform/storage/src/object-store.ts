import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { HarbourConfig } from '@harbour/config';

/**
 * Object storage for large blobs (DICOM originals, de-identified caches, job outputs, report
 * packs). PostgreSQL keeps the index and metadata; blobs live here. A local folder by default;
 * S3-compatible storage (AWS, MinIO, …) for deployments with several machines.
 */
/** Nest injection token of the station's object store. */
export const OBJECT_STORE = Symbol('OBJECT_STORE');

export interface ObjectStore {
  put(key: string, body: Buffer | Readable): Promise<{ bytes: number }>;
  get(key: string): Promise<Readable>;
  getBuffer(key: string): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  deletePrefix(prefix: string): Promise<number>;
}

function checkKey(key: string): string {
  if (!/^[A-Za-z0-9._\-/]+$/.test(key) || key.includes('..') || key.startsWith('/')) throw new Error('invalid object key');
  return key;
}

export class LocalObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    const p = resolve(this.root, checkKey(key));
    if (!p.startsWith(resolve(this.root) + sep)) throw new Error('invalid object key');
    return p;
  }

  async put(key: string, body: Buffer | Readable): Promise<{ bytes: number }> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    // Write then rename: readers never see a partial object, and a crash leaves only a temp file.
    const tmp = `${target}.${randomBytes(6).toString('hex')}.part`;
    try {
      await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, createWriteStream(tmp, { mode: 0o600 }));
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { bytes: (await stat(target)).size };
  }

  async get(key: string): Promise<Readable> {
    const p = this.path(key);
    await stat(p);
    return createReadStream(p);
  }

  async getBuffer(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.get(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<number> {
    const p = this.path(prefix.replace(/\/+$/, ''));
    try {
      await stat(p);
    } catch {
      return 0;
    }
    await rm(p, { recursive: true, force: true });
    return 1;
  }
}

/** S3-compatible store through the AWS SDK (loaded only when configured). */
export class S3ObjectStore implements ObjectStore {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private clientPromise: Promise<{ client: any; sdk: any }> | undefined;
  constructor(private readonly cfg: { bucket: string; endpoint: string | undefined; region: string; forcePathStyle: boolean }) {}

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async s3(): Promise<{ client: any; sdk: any }> {
    this.clientPromise ??= (async () => {
      const moduleName = '@aws-sdk/client-s3';

      const sdk = await import(moduleName);

      const client = new sdk.S3Client({ region: this.cfg.region, endpoint: this.cfg.endpoint, forcePathStyle: this.cfg.forcePathStyle });

      return { client, sdk };
    })();
    return this.clientPromise;
  }

  async put(key: string, body: Buffer | Readable): Promise<{ bytes: number }> {
    const { client, sdk } = await this.s3();
    const data = Buffer.isBuffer(body) ? body : await streamToBuffer(body);
    await client.send(new sdk.PutObjectCommand({ Bucket: this.cfg.bucket, Key: checkKey(key), Body: data }));
    return { bytes: data.length };
  }
  async get(key: string): Promise<Readable> {
    const { client, sdk } = await this.s3();
    const res = await client.send(new sdk.GetObjectCommand({ Bucket: this.cfg.bucket, Key: checkKey(key) }));
    return res.Body as Readable;
  }
  async getBuffer(key: string): Promise<Buffer> {
    return streamToBuffer(await this.get(key));
  }
  async exists(key: string): Promise<boolean> {
    const { client, sdk } = await this.s3();
    try {
      await client.send(new sdk.HeadObjectCommand({ Bucket: this.cfg.bucket, Key: checkKey(key) }));
      return true;
    } catch {
      return false;
    }
  }
  async delete(key: string): Promise<void> {
    const { client, sdk } = await this.s3();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: checkKey(key) }));
  }
  async deletePrefix(prefix: string): Promise<number> {
    const { client, sdk } = await this.s3();
    let n = 0;
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: this.cfg.bucket, Prefix: checkKey(prefix), ContinuationToken: token }),
      );
      for (const o of (page.Contents ?? []) as { Key: string }[]) {
        await client.send(new sdk.DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: o.Key }));
        n++;
      }
      token = page.IsTruncated ? (page.NextContinuationToken as string) : undefined;
    } while (token);
    return n;
  }
}

async function streamToBuffer(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

export function createObjectStore(config: HarbourConfig): ObjectStore {
  return config.storage.kind === 's3' ? new S3ObjectStore(config.storage) : new LocalObjectStore(config.storage.dir);
}
