import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { SigningKey } from '../entities/signing-key.entity.js';

/** SQL for station signing keys. */
@Injectable()
export class SigningKeyRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /** Serialise key creation and rotation across processes (until the transaction ends). */
  async lockKeys(): Promise<void> {
    await this.db.query("SELECT pg_advisory_xact_lock(hashtext('harbour.identity.signing_key'))");
  }

  async active(): Promise<SigningKey | null> {
    return this.db
      .manager()
      .getRepository(SigningKey)
      .findOne({ where: { status: 'active' }, order: { createdAt: 'DESC' } });
  }

  async byKid(kid: string): Promise<SigningKey | null> {
    return this.db.manager().getRepository(SigningKey).findOne({ where: { kid } });
  }

  /** Active keys and keys retired after `retiredAfter` (their tokens may still be live). */
  async verifiable(retiredAfter: Date): Promise<SigningKey[]> {
    return this.db
      .manager()
      .getRepository(SigningKey)
      .createQueryBuilder('k')
      .where("k.status = 'active' OR k.retired_at > :after", { after: retiredAfter })
      .orderBy('k.created_at', 'DESC')
      .getMany();
  }

  async all(): Promise<SigningKey[]> {
    return this.db
      .manager()
      .getRepository(SigningKey)
      .find({ order: { createdAt: 'ASC' } });
  }

  async insert(k: Pick<SigningKey, 'kid' | 'alg' | 'publicJwk' | 'privateJwkSealed' | 'status'>): Promise<void> {
    await this.db.query('INSERT INTO identity.signing_key (kid, alg, public_jwk, private_jwk_sealed, status) VALUES ($1, $2, $3, $4, $5)', [
      k.kid,
      k.alg,
      JSON.stringify(k.publicJwk),
      k.privateJwkSealed,
      k.status,
    ]);
  }

  async retireActive(): Promise<void> {
    await this.db.query("UPDATE identity.signing_key SET status = 'retired', retired_at = now() WHERE status = 'active'");
  }
}
