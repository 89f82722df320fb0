import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';

/**
 * Streaming AES-256-GCM for large vault objects (uploaded extracts, DICOM originals):
 * [format 2][key version u32][iv 12][ciphertext …][tag 16]. The tag trails the ciphertext so an
 * upload is encrypted as it arrives, never held whole. Decryption needs the tag first, so it
 * reads a local file (objects are fetched to a temporary file before use).
 */
const FORMAT_STREAM = 2;

export function encryptingStream(key: Buffer, keyVersion: number): Transform {
  const iv = randomBytes(12);
  const header = Buffer.alloc(5);
  header.writeUInt8(FORMAT_STREAM, 0);
  header.writeUInt32BE(keyVersion, 1);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header);
  let headerSent = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const out = cipher.update(chunk);
      if (!headerSent) {
        headerSent = true;
        cb(null, Buffer.concat([header, iv, out]));
      } else cb(null, out);
    },
    flush(cb) {
      const fin = cipher.final();
      const prefix = headerSent ? Buffer.alloc(0) : Buffer.concat([header, iv]);
      cb(null, Buffer.concat([prefix, fin, cipher.getAuthTag()]));
    },
  });
}

/** Key version of an encrypted file (to pick the trust's key). */
export async function streamKeyVersion(path: string): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(5);
    await fh.read(buf, 0, 5, 0);
    if (buf.readUInt8(0) !== FORMAT_STREAM) throw new Error('unsupported ciphertext format');
    return buf.readUInt32BE(1);
  } finally {
    await fh.close();
  }
}

/** Decrypt an encrypted local file as a stream; fails at the end if anything was altered. */
export async function decryptingFileStream(path: string, key: Buffer): Promise<Readable> {
  const fh = await open(path, 'r');
  const { size } = await fh.stat();
  if (size < 33) {
    await fh.close();
    throw new Error('ciphertext too short');
  }
  const head = Buffer.alloc(17);
  await fh.read(head, 0, 17, 0);
  const tag = Buffer.alloc(16);
  await fh.read(tag, 0, 16, size - 16);
  const decipher = createDecipheriv('aes-256-gcm', key, head.subarray(5, 17));
  decipher.setAAD(head.subarray(0, 5));
  decipher.setAuthTag(tag);
  const body = fh.createReadStream({ start: 17, end: size - 17 });
  return body.pipe(decipher);
}
