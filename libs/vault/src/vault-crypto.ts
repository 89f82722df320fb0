import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomFillSync } from 'node:crypto';

/**
 * Envelope encryption for the vault. Each trust has data keys (DEKs, random 256-bit) that encrypt
 * its identifiable data with AES-256-GCM; each DEK is stored wrapped under a key-encryption key
 * derived from the station master key for that trust (HKDF-SHA256, RFC 5869). Revoking a trust's
 * key destroys the wrapped DEK, which makes every ciphertext of that trust unreadable
 * (crypto-shredding) without touching the rows.
 */
const FORMAT_V1 = 1;

export function deriveTrustKek(master: Buffer, trustId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.from('harbour-vault-kek-v1'), Buffer.from(`trust:${trustId}`), 32));
}

export function wrapKey(kek: Buffer, dek: Buffer): Buffer {
  return encrypt(kek, dek, 0);
}

export function unwrapKey(kek: Buffer, wrapped: Buffer): Buffer {
  return decrypt(kek, wrapped).plaintext;
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

/** AES-256-GCM: [format 1][key version u32][iv 12][tag 16][ciphertext]. */
export function encrypt(key: Buffer, plaintext: Buffer, keyVersion: number, iv: Buffer = randomBytes(12)): Buffer {
  if (iv.length !== 12) throw new Error('AES-GCM IV must be 12 bytes');
  const out = Buffer.allocUnsafe(33 + plaintext.length);
  out.writeUInt8(FORMAT_V1, 0);
  out.writeUInt32BE(keyVersion, 1);
  iv.copy(out, 5);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(out.subarray(0, 5));
  const ct = cipher.update(plaintext);
  const fin = cipher.final();
  ct.copy(out, 33);
  fin.copy(out, 33 + ct.length);
  cipher.getAuthTag().copy(out, 17);
  return out.subarray(0, 33 + ct.length + fin.length);
}

/**
 * An encrypter for many small records under one data key. IVs are random 96-bit values (NIST SP
 * 800-38D §8.2.2), drawn from the CSPRNG in blocks rather than one call per record: the same
 * randomness, without a system call per record. At 2^32 records per key the collision bound of
 * §8.3 would be reached; key rotation happens long before that.
 */
export function recordEncrypter(key: Buffer, keyVersion: number): (plaintext: Buffer) => Buffer {
  const block = Buffer.alloc(12 * 1024);
  let used = block.length;
  return (plaintext) => {
    if (used === block.length) {
      randomFillSync(block);
      used = 0;
    }
    const iv = block.subarray(used, used + 12);
    used += 12;
    return encrypt(key, plaintext, keyVersion, iv);
  };
}

export function keyVersionOf(blob: Buffer): number {
  return blob.readUInt32BE(1);
}

export function decrypt(key: Buffer, blob: Buffer): { plaintext: Buffer; keyVersion: number } {
  if (blob.length < 33 || blob.readUInt8(0) !== FORMAT_V1) throw new Error('unsupported ciphertext format');
  const header = blob.subarray(0, 5);
  const iv = blob.subarray(5, 17);
  const tag = blob.subarray(17, 33);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(header);
  decipher.setAuthTag(tag);
  const plaintext = Buffer.concat([decipher.update(blob.subarray(33)), decipher.final()]);
  return { plaintext, keyVersion: header.readUInt32BE(1) };
}

/**
 * Blind index of an NHS number: an HMAC under a station key, so the same person is recognised
 * across trusts and opt-out lists without storing the number in clear anywhere outside the
 * encrypted vault.
 */
export function nhsBlindIndexKey(master: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.from('harbour-blind-index-v1'), Buffer.from('nhs-number'), 32));
}

export function nhsBlindIndex(key: Buffer, canonicalNhs: string): Buffer {
  return createHmac('sha256', key).update(canonicalNhs).digest();
}
