import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { DomainError } from '@harbour/errors';
import { RecordSealer } from './seal/record-sealer.js';
import { decrypt, deriveTrustKek, newDataKey, recordEncrypter, unwrapKey, wrapKey, keyVersionOf } from './vault-crypto.js';

interface KeyRow {
  version: number;
  wrapped_key: Buffer | null;
  status: string;
}

/**
 * Per-trust data keys. Keys are unwrapped on demand and never cached across calls that could
 * outlive a revocation: every batch or de-identification run asks again, so revoking a trust's
 * key in one process takes effect in all of them.
 */
@Injectable()
export class TrustKeyRing {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(KEY_MATERIAL) private readonly keys: KeyMaterial,
  ) {}

  /** The trust's active data key, creating version 1 on first use. */
  async activeKey(trustId: string): Promise<{ version: number; key: Buffer }> {
    const kek = deriveTrustKek(this.keys.masterKey(), trustId);
    const rows = await this.db.query<KeyRow>(
      `SELECT version, wrapped_key, status FROM vault.trust_key WHERE trust_id = $1 ORDER BY version DESC LIMIT 1`,
      [trustId],
    );
    const row = rows[0];
    if (row && row.status === 'active' && row.wrapped_key) return { version: row.version, key: unwrapKey(kek, row.wrapped_key) };
    if (row && row.status === 'revoked') throw new DomainError('forbidden', 'the trust data key is revoked');
    const dek = newDataKey();
    const version = (row?.version ?? 0) + 1;
    await this.db.query(
      `INSERT INTO vault.trust_key (trust_id, version, wrapped_key, status) VALUES ($1, $2, $3, 'active') ON CONFLICT DO NOTHING`,
      [trustId, version, wrapKey(kek, dek)],
    );
    // Another process may have won the race: read back what is stored.
    const stored = await this.db.query<KeyRow>(
      `SELECT version, wrapped_key, status FROM vault.trust_key WHERE trust_id = $1 AND version = $2`,
      [trustId, version],
    );
    const s = stored[0];
    if (!s?.wrapped_key) throw new DomainError('internal_error', 'trust key unavailable');
    return { version, key: unwrapKey(kek, s.wrapped_key) };
  }

  /** A decrypter for a trust's ciphertexts (any key version still present). */
  async decrypter(trustId: string): Promise<(blob: Buffer) => Buffer> {
    const kek = deriveTrustKek(this.keys.masterKey(), trustId);
    const rows = await this.db.query<KeyRow>(`SELECT version, wrapped_key, status FROM vault.trust_key WHERE trust_id = $1`, [trustId]);
    const keys = new Map<number, Buffer>();
    for (const r of rows) if (r.wrapped_key && r.status !== 'revoked') keys.set(r.version, unwrapKey(kek, r.wrapped_key));
    return (blob) => {
      const key = keys.get(keyVersionOf(blob));
      if (!key) throw new DomainError('forbidden', 'the trust data key is revoked');
      return decrypt(key, blob).plaintext;
    };
  }

  /** The data key of a given version, for stream decryption. */
  async keyOfVersion(trustId: string, version: number): Promise<Buffer> {
    const kek = deriveTrustKek(this.keys.masterKey(), trustId);
    const rows = await this.db.query<KeyRow>(
      `SELECT version, wrapped_key, status FROM vault.trust_key WHERE trust_id = $1 AND version = $2`,
      [trustId, version],
    );
    const r = rows[0];
    if (!r?.wrapped_key || r.status === 'revoked') throw new DomainError('forbidden', 'the trust data key is revoked');
    return unwrapKey(kek, r.wrapped_key);
  }

  async encrypter(trustId: string): Promise<(plain: Buffer) => Buffer> {
    const { version, key } = await this.activeKey(trustId);
    return recordEncrypter(key, version);
  }

  /**
   * A sealer for a batch of the trust's records: encryption under the active key plus a keyed
   * fingerprint of each plaintext (`fingerprintKey`). The caller closes it.
   */
  async sealer(trustId: string, fingerprintKey: Buffer): Promise<RecordSealer> {
    const { version, key } = await this.activeKey(trustId);
    return new RecordSealer(key, version, fingerprintKey);
  }

  /**
   * Revoke: destroy every wrapped key of the trust. All its vault ciphertexts become unreadable
   * (crypto-shredding); new ingestion is refused until an operator issues a new key.
   */
  async revoke(trustId: string): Promise<number> {
    const rows = await this.db.query<{ version: number }>(
      `UPDATE vault.trust_key SET wrapped_key = NULL, status = 'revoked', revoked_at = now() WHERE trust_id = $1 AND status <> 'revoked' RETURNING version`,
      [trustId],
    );
    return rows.length;
  }
}
