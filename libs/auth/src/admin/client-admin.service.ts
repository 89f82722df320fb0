import { Inject, Injectable } from '@nestjs/common';
import { importJWK, type JWK } from 'jose';
import { HARBOUR_CONFIG, type HarbourConfig } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { DomainError, notFound, type FieldError } from '@harbour/errors';
import { AuditLog } from '@harbour/audit';
import { ClientRepository } from '../repositories/client.repository.js';
import { OrganisationRepository } from '../repositories/organisation.repository.js';
import { actorOf, type Principal } from '../authz/principal.js';
import { CLIENT_ASSERTION_ALGS } from '../tokens/client-credentials.service.js';
import type { ApiClient } from '../entities/api-client.entity.js';

export interface RegisterClientInput {
  readonly name: string;
  readonly partnerId?: string | undefined;
  readonly trustId?: string | undefined;
  readonly jwks?: { keys: Record<string, unknown>[] } | undefined;
  readonly jwksUrl?: string | undefined;
}

export interface ClientView {
  readonly clientId: string;
  readonly name: string;
  readonly partnerId: string | null;
  readonly trustId: string | null;
  readonly role: 'partner' | 'trust-uploader';
  readonly jwksUrl: string | null;
  readonly keyIds: readonly string[];
  readonly disabled: boolean;
  readonly createdAt: string;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * Check registered client keys: public only, of a kind the token endpoint accepts (EC P-256/P-384,
 * RSA of at least 2048 bits, RFC 7518 §3.3), and importable. Problems are field messages.
 */
export async function publicJwksProblems(jwks: { keys: Record<string, unknown>[] }): Promise<string[]> {
  const out: string[] = [];
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0 || jwks.keys.length > 10) return ['jwks.keys must hold 1 to 10 keys'];
  for (const [i, k] of jwks.keys.entries()) {
    if (typeof k !== 'object' || k === null) {
      out.push(`jwks.keys[${i}] must be a JWK object`);
      continue;
    }
    if (PRIVATE_MEMBERS.some((m) => m in k)) {
      out.push(`jwks.keys[${i}] must be a public key (private key members found)`);
      continue;
    }
    const kty = k['kty'];
    const alg = typeof k['alg'] === 'string' ? k['alg'] : kty === 'RSA' ? 'RS384' : k['crv'] === 'P-384' ? 'ES384' : 'ES256';
    if (!CLIENT_ASSERTION_ALGS.includes(alg)) {
      out.push(`jwks.keys[${i}].alg must be one of ${CLIENT_ASSERTION_ALGS.join(', ')}`);
      continue;
    }
    if (kty === 'RSA' && typeof k['n'] === 'string' && Buffer.from(k['n'], 'base64url').length * 8 < 2048) {
      out.push(`jwks.keys[${i}] RSA keys must be at least 2048 bits`);
      continue;
    }
    try {
      await importJWK(k as JWK, alg);
    } catch {
      out.push(`jwks.keys[${i}] is not a valid ${alg} public key`);
    }
  }
  return out;
}

/** Machine clients: registered by operators for a partner or a trust, with public keys only. */
@Injectable()
export class ClientAdminService {
  constructor(
    @Inject(HARBOUR_CONFIG) private readonly config: HarbourConfig,
    @Inject(Db) private readonly db: Db,
    @Inject(ClientRepository) private readonly clients: ClientRepository,
    @Inject(OrganisationRepository) private readonly orgs: OrganisationRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  async register(p: Principal, input: RegisterClientInput): Promise<ClientView> {
    const fields: FieldError[] = [];
    if ((input.partnerId === undefined) === (input.trustId === undefined))
      fields.push({ field: 'partnerId', messages: ['give exactly one of partnerId or trustId'] });
    if ((input.jwks === undefined) === (input.jwksUrl === undefined))
      fields.push({ field: 'jwks', messages: ['give exactly one of jwks or jwksUrl'] });
    if (input.jwks) {
      const problems = await publicJwksProblems(input.jwks);
      if (problems.length) fields.push({ field: 'jwks', messages: problems });
    }
    if (input.jwksUrl) {
      const u = new URL(input.jwksUrl);
      const local = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
      if (u.protocol !== 'https:' && !(local && this.config.env !== 'production'))
        fields.push({ field: 'jwksUrl', messages: ['jwksUrl must use https'] });
    }
    if (fields.length) throw new DomainError('validation_failed', 'request body is invalid', { fields });
    return this.db.run(async () => {
      if (input.partnerId && !(await this.orgs.partnerById(input.partnerId))) throw notFound('partner');
      if (input.trustId && !(await this.orgs.trustById(input.trustId))) throw notFound('trust');
      const c = await this.clients.insert({
        name: input.name,
        partnerId: input.partnerId ?? null,
        trustId: input.trustId ?? null,
        jwks: input.jwks ?? null,
        jwksUrl: input.jwksUrl ?? null,
      });
      await this.audit.append({
        action: 'client.registered',
        actor: actorOf(p),
        target: { type: 'api_client', id: c.id },
        trustId: c.trustId,
        payload: { clientId: c.id, keySource: c.jwks ? 'jwks' : 'jwks_url', ownerType: c.partnerId ? 'partner' : 'trust' },
      });
      return clientView(c);
    });
  }

  async list(_p: Principal, filter: { partnerId?: string; trustId?: string }): Promise<ClientView[]> {
    return (await this.clients.list(filter)).map(clientView);
  }

  async disable(p: Principal, clientId: string): Promise<ClientView> {
    return this.db.run(async () => {
      const c = await this.clients.byId(clientId);
      if (!c) throw notFound('client');
      if (!c.disabled) {
        await this.clients.disable(c.id);
        await this.audit.append({
          action: 'client.disabled',
          actor: actorOf(p),
          target: { type: 'api_client', id: c.id },
          trustId: c.trustId,
          payload: { clientId: c.id },
        });
      }
      return clientView({ ...c, disabled: true });
    });
  }
}

function clientView(c: ApiClient): ClientView {
  return {
    clientId: c.id,
    name: c.name,
    partnerId: c.partnerId,
    trustId: c.trustId,
    role: c.partnerId ? 'partner' : 'trust-uploader',
    jwksUrl: c.jwksUrl,
    keyIds: (c.jwks?.keys ?? []).map((k) => (typeof k['kid'] === 'string' ? k['kid'] : '')).filter(Boolean),
    disabled: c.disabled,
    createdAt: c.createdAt.toISOString(),
  };
}
