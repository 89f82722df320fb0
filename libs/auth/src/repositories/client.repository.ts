import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { ApiClient } from '../entities/api-client.entity.js';
import { isUuid } from '../util.js';

/** SQL for machine clients and the replay cache of their assertions. */
@Injectable()
export class ClientRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async byId(id: string): Promise<ApiClient | null> {
    if (!isUuid(id)) return null;
    return this.db.manager().getRepository(ApiClient).findOne({ where: { id } });
  }

  async insert(c: Pick<ApiClient, 'name' | 'partnerId' | 'trustId' | 'jwks' | 'jwksUrl'>): Promise<ApiClient> {
    const repo = this.db.manager().getRepository(ApiClient);
    return repo.save(repo.create({ ...c, disabled: false }));
  }

  async list(filter: { partnerId?: string; trustId?: string }): Promise<ApiClient[]> {
    return this.db
      .manager()
      .getRepository(ApiClient)
      .find({
        where: { ...(filter.partnerId ? { partnerId: filter.partnerId } : {}), ...(filter.trustId ? { trustId: filter.trustId } : {}) },
        order: { createdAt: 'ASC' },
      });
  }

  async disable(id: string): Promise<void> {
    await this.db.manager().getRepository(ApiClient).update({ id }, { disabled: true });
  }

  /**
   * Record an assertion's `jti`; false when it was already used (primary-key conflict), in any
   * process. Expired entries are purged on the way, which keeps the table small.
   */
  async rememberJti(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    await this.db.query('DELETE FROM identity.client_assertion_jti WHERE expires_at < now()');
    const rows = await this.db.query(
      'INSERT INTO identity.client_assertion_jti (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING jti',
      [clientId, jti, expiresAt],
    );
    return rows.length === 1;
  }
}
