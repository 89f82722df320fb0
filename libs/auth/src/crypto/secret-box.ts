import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { KeyMaterial } from '@harbour/config';

/**
 * AES-256-GCM sealing of small secrets (signing keys, TOTP secrets) under a key derived from the
 * master key with HKDF-SHA256 (RFC 5869) and a per-purpose `info`, so each purpose has its own
 * key. Output: `v1.<iv>.<ciphertext>.<tag>` (base64url); `aad` binds a sealed value to its row
 * (e.g. the kid or user id) so it cannot be moved to another one.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(keys: KeyMaterial, purpose: string) {
    this.#key = Buffer.from(hkdfSync('sha256', keys.masterKey(), Buffer.from('harbour.secret-box.v1'), Buffer.from(purpose), 32));
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12); // 96-bit nonce (NIST SP 800-38D §8.2.2, random construction)
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(aad, 'utf8'));
    const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64url'), ct.toString('base64url'), c.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, aad: string): string {
    const [v, iv, ct, tag] = sealed.split('.');
    if (v !== 'v1' || !iv || ct === undefined || !tag) throw new Error('sealed value has an unknown format');
    const d = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  }

  toJSON(): string {
    return '[SecretBox]';
  }
}
