import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Chunked encryption of DICOM originals at rest, so multi-gigabyte instances stream through
 * encryption and decryption in constant memory.
 *
 * Each 1 MiB plaintext chunk is sealed on its own by the trust's vault encrypter
 * (`TrustKeyRing.encrypter`: AES-256-GCM, random 96-bit IV, key version in the blob header), so
 * key versions, revocation and crypto-shredding work exactly as for the rest of the vault. What
 * GCM alone does not give a chunked stream, the sealed chunk header adds (the STREAM construction
 * of Hoang, Reyhanitabar, Rogaway and Vizár, 2015, with the vault's AEAD as the primitive):
 *
 *   object  = MAGIC(4) | objectId(16) | frame*
 *   frame   = u32 blobLength | vaultBlob
 *   plain   = objectId(16) | u32 index | u8 final | data
 *
 * - `index` stops reordering or dropping chunks, `final` (set on the last chunk only, which may be
 *   empty) stops truncation at a chunk boundary, and `objectId` stops splicing chunks of another
 *   object sealed under the same key.
 * - Nothing about the content is in clear: the outer header carries only the random object id.
 */
export const SEALED_MAGIC = Buffer.from('HBS1', 'latin1');
export const SEALED_CHUNK_BYTES = 1024 * 1024;
const OBJECT_ID_BYTES = 16;
const INNER_HEADER = OBJECT_ID_BYTES + 5;
/** A sealed chunk is at most the chunk plus the inner header plus the vault blob overhead (33). */
const MAX_BLOB_BYTES = SEALED_CHUNK_BYTES + INNER_HEADER + 64;

export class SealedObjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealedObjectError';
  }
}

/** A transform that seals plaintext into the format above. */
export function sealStream(encrypt: (plain: Buffer) => Buffer, chunkBytes = SEALED_CHUNK_BYTES): Transform {
  const objectId = randomBytes(OBJECT_ID_BYTES);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let index = 0;
  let headerSent = false;

  const frame = (data: Buffer, final: boolean): Buffer => {
    const inner = Buffer.alloc(INNER_HEADER);
    objectId.copy(inner, 0);
    inner.writeUInt32BE(index++, OBJECT_ID_BYTES);
    inner.writeUInt8(final ? 1 : 0, OBJECT_ID_BYTES + 4);
    const blob = encrypt(Buffer.concat([inner, data]));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(blob.length);
    return Buffer.concat([len, blob]);
  };
  const header = (t: Transform): void => {
    if (headerSent) return;
    t.push(Buffer.concat([SEALED_MAGIC, objectId]));
    headerSent = true;
  };

  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        header(this);
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes > chunkBytes) {
          const all = Buffer.concat(pending);
          this.push(frame(all.subarray(0, chunkBytes), false));
          const rest = all.subarray(chunkBytes);
          pending = [rest];
          pendingBytes = rest.length;
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        header(this);
        this.push(frame(Buffer.concat(pending), true));
        pending = [];
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

/** The inverse of {@link sealStream}; fails (stream error) on any tampering, reordering or truncation. */
export function openStream(decrypt: (blob: Buffer) => Buffer): Transform {
  let buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  let objectId: Buffer | undefined;
  let index = 0;
  let finished = false;

  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        if (!objectId) {
          if (buf.length < SEALED_MAGIC.length + OBJECT_ID_BYTES) return cb();
          if (!buf.subarray(0, SEALED_MAGIC.length).equals(SEALED_MAGIC)) throw new SealedObjectError('not a sealed object');
          objectId = Buffer.from(buf.subarray(SEALED_MAGIC.length, SEALED_MAGIC.length + OBJECT_ID_BYTES));
          buf = buf.subarray(SEALED_MAGIC.length + OBJECT_ID_BYTES);
        }
        while (buf.length >= 4) {
          const len = buf.readUInt32BE(0);
          if (len > MAX_BLOB_BYTES) throw new SealedObjectError('sealed frame too large');
          if (buf.length < 4 + len) break;
          if (finished) throw new SealedObjectError('data after the final chunk');
          const plain = decrypt(buf.subarray(4, 4 + len));
          buf = buf.subarray(4 + len);
          if (plain.length < INNER_HEADER || !plain.subarray(0, OBJECT_ID_BYTES).equals(objectId))
            throw new SealedObjectError('chunk of another object');
          if (plain.readUInt32BE(OBJECT_ID_BYTES) !== index++) throw new SealedObjectError('chunks out of order');
          finished = plain.readUInt8(OBJECT_ID_BYTES + 4) === 1;
          if (plain.length > INNER_HEADER) this.push(plain.subarray(INNER_HEADER));
        }
        cb();
      } catch (e) {
        // A revoked trust key surfaces as the key ring's own (domain) error; anything else from the
        // decrypter means the chunk did not authenticate.
        cb(
          e instanceof SealedObjectError || (e as Error | null)?.name === 'DomainError'
            ? (e as Error)
            : new SealedObjectError('sealed chunk does not authenticate'),
        );
      }
    },
    flush(cb: TransformCallback) {
      if (!finished || buf.length > 0) cb(new SealedObjectError('sealed object is truncated'));
      else cb();
    },
  });
}
