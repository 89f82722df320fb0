import { Inject, Injectable } from '@nestjs/common';
import {
  CompactSign,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';
import { KEY_MATERIAL, KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { AuditLog, type AuditActor, type CheckpointSigner } from '@harbour/audit';
import { SecretBox } from '../crypto/secret-box.js';
import { SigningKeyRepository } from './signing-key.repository.js';
import type { SigningKey } from '../entities/signing-key.entity.js';

/** Station tokens and checkpoints are ES256 only (RFC 7518 §3.4): one algorithm, no downgrade. */
export const STATION_ALG = 'ES256';
/** The longest access token lifetime; a retired key stays in the JWKS this long (plus skew). */
export const MAX_ACCESS_TOKEN_SECONDS = 15 * 60;
const RETENTION_MS = (MAX_ACCESS_TOKEN_SECONDS + 60) * 1000;
const ACTIVE_CACHE_MS = 30_000;

interface ActiveKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly loadedAt: number;
}

/**
 * The station's signing keys, shared by all processes through PostgreSQL. The first process that
 * needs a key creates it (under an advisory lock); `rotate` makes a new key active and keeps the
 * old public key published until tokens it signed have expired. Implements the audit lib's
 * `CheckpointSigner` so checkpoints are signed by the same station key.
 */
@Injectable()
export class SigningKeyService implements CheckpointSigner {
  readonly #box: SecretBox;
  #active: ActiveKey | undefined;
  readonly #publicKeys = new Map<string, { key: CryptoKey; retiredAt: Date | null }>();

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(SigningKeyRepository) private readonly repo: SigningKeyRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(KEY_MATERIAL) keys: KeyMaterial,
  ) {
    this.#box = new SecretBox(keys, 'identity.signing-key');
  }

  private async load(row: SigningKey): Promise<ActiveKey> {
    const jwk = JSON.parse(this.#box.open(row.privateJwkSealed, row.kid)) as JWK;
    return { kid: row.kid, privateKey: (await importJWK(jwk, STATION_ALG)) as CryptoKey, loadedAt: Date.now() };
  }

  private async generate(): Promise<{ kid: string }> {
    const { publicKey, privateKey } = await generateKeyPair(STATION_ALG, { extractable: true });
    const pub = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(pub); // RFC 7638
    const priv = await exportJWK(privateKey);
    await this.repo.insert({
      kid,
      alg: STATION_ALG,
      publicJwk: { ...pub, kid, alg: STATION_ALG, use: 'sig' },
      privateJwkSealed: this.#box.seal(JSON.stringify(priv), kid),
      status: 'active',
    });
    return { kid };
  }

  /** The key to sign with now, creating the first one if the station has none. */
  async activeKey(): Promise<ActiveKey> {
    if (this.#active && Date.now() - this.#active.loadedAt < ACTIVE_CACHE_MS) return this.#active;
    let row = await this.repo.active();
    if (!row) {
      row = await this.db.run(async () => {
        await this.repo.lockKeys();
        const again = await this.repo.active();
        if (again) return again;
        const { kid } = await this.generate();
        return (await this.repo.byKid(kid))!;
      });
    }
    this.#active = await this.load(row);
    return this.#active;
  }

  /** Make a new key active; the previous one only verifies from now on. Audited. */
  async rotate(actor: AuditActor): Promise<{ kid: string; previousKid: string | null }> {
    const res = await this.db.run(async () => {
      await this.repo.lockKeys();
      const previous = await this.repo.active();
      await this.repo.retireActive();
      const { kid } = await this.generate();
      await this.audit.append({
        action: 'key.rotated',
        actor,
        target: { type: 'signing_key', id: kid },
        payload: { kid, previousKid: previous?.kid ?? null },
      });
      return { kid, previousKid: previous?.kid ?? null };
    });
    this.#active = undefined;
    this.#publicKeys.clear();
    return res;
  }

  /** Public key for a `kid`, if it may still verify tokens (active, or retired within retention). */
  async verificationKey(kid: string): Promise<CryptoKey | undefined> {
    let cached = this.#publicKeys.get(kid);
    if (!cached) {
      const row = await this.repo.byKid(kid);
      if (!row) return undefined;
      cached = { key: (await importJWK(row.publicJwk as JWK, STATION_ALG)) as CryptoKey, retiredAt: row.retiredAt };
      // Only cache keys known to be retired: an active key may be retired by another process.
      if (row.retiredAt) this.#publicKeys.set(kid, cached);
    }
    if (cached.retiredAt && Date.now() - cached.retiredAt.getTime() > RETENTION_MS) return undefined;
    return cached.key;
  }

  /** `GET /.well-known/jwks.json`: keys that may have signed a live token (RFC 7517 §5). */
  async publishedJwks(): Promise<JSONWebKeySet> {
    await this.activeKey();
    const rows = await this.repo.verifiable(new Date(Date.now() - RETENTION_MS));
    return { keys: rows.map((r) => r.publicJwk as JWK) };
  }

  /** Every public key ever used: what an offline audit verifier needs. */
  async allPublicKeys(): Promise<JSONWebKeySet> {
    const rows = await this.repo.all();
    return { keys: rows.map((r) => r.publicJwk as JWK) };
  }

  async listKeys(): Promise<{ kid: string; status: string; createdAt: string; retiredAt: string | null }[]> {
    const rows = await this.repo.all();
    return rows.map((r) => ({
      kid: r.kid,
      status: r.status,
      createdAt: r.createdAt.toISOString(),
      retiredAt: r.retiredAt?.toISOString() ?? null,
    }));
  }

  async signJwt(claims: JWTPayload, typ: string): Promise<{ token: string; kid: string }> {
    const k = await this.activeKey();
    const token = await new SignJWT(claims).setProtectedHeader({ alg: STATION_ALG, kid: k.kid, typ }).sign(k.privateKey);
    return { token, kid: k.kid };
  }

  async signCompact(payload: Record<string, unknown>, typ: string): Promise<{ jws: string; kid: string }> {
    const k = await this.activeKey();
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: STATION_ALG, kid: k.kid, typ })
      .sign(k.privateKey);
    return { jws, kid: k.kid };
  }
}
