import { Inject, Injectable } from '@nestjs/common';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { HARBOUR_CONFIG, type HarbourConfig } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { AuditLog, ANONYMOUS_ACTOR, type TokenRejectionReason } from '@harbour/audit';
import { ClientRepository } from '../repositories/client.repository.js';
import { buildPrincipal, clientGrants } from '../authz/principal-factory.js';
import { actorOf } from '../authz/principal.js';
import { PERMISSIONS } from '../authz/permissions.js';
import { AccessTokenService } from './access-token.service.js';
import { OAuthError, type OAuthErrorCode } from './oauth-error.js';
import { rejectionReason } from './token-check.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Algorithms a client may sign assertions with (SMART Backend Services requires ES384 and RS384 support). */
export const CLIENT_ASSERTION_ALGS = ['ES256', 'ES384', 'RS384'];
/** SMART: `exp` no more than five minutes in the future. */
const MAX_ASSERTION_SECONDS = 5 * 60;
const CLOCK_TOLERANCE_SECONDS = 5;

export interface TokenRequest {
  readonly grant_type?: unknown;
  readonly client_assertion_type?: unknown;
  readonly client_assertion?: unknown;
  readonly scope?: unknown;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
}

type Refusal = { error: OAuthErrorCode; description: string; reason: TokenRejectionReason; clientId?: string };

/**
 * `POST /oauth/token`: OAuth 2.0 client credentials grant (RFC 6749 §4.4) authenticated with a
 * signed JWT (`private_key_jwt`, RFC 7523 §2.2 and §3; SMART Backend Services). Checks:
 * `iss` = `sub` = client_id, `aud` = this token endpoint, `exp` at most five minutes ahead,
 * a `jti` never seen before (kept in PostgreSQL so every process refuses a replay), a signature
 * by one of the client's registered keys, an enabled client, and scopes within its role.
 * Every issue and refusal is audited.
 */
@Injectable()
export class ClientCredentialsService {
  private readonly remote = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(
    @Inject(HARBOUR_CONFIG) private readonly config: HarbourConfig,
    @Inject(Db) private readonly db: Db,
    @Inject(ClientRepository) private readonly clients: ClientRepository,
    @Inject(AccessTokenService) private readonly tokens: AccessTokenService,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  get tokenEndpoint(): string {
    return `${this.config.http.publicUrl}/oauth/token`;
  }

  private keySet(client: {
    jwks: { keys: Record<string, unknown>[] } | null;
    jwksUrl: string | null;
  }): ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet> {
    if (client.jwks) return createLocalJWKSet(client.jwks as JSONWebKeySet);
    const url = client.jwksUrl!;
    let set = this.remote.get(url);
    if (!set) {
      set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 });
      this.remote.set(url, set);
    }
    return set;
  }

  async token(req: TokenRequest): Promise<TokenResponse> {
    const outcome = await this.tryIssue(req);
    if ('error' in outcome) {
      // Recorded in its own transaction: the refusal is audited although the request fails.
      await this.audit.append({
        action: 'auth.token_refused',
        actor: outcome.clientId ? { type: 'client', id: outcome.clientId, role: null, orgType: null, orgId: null } : ANONYMOUS_ACTOR,
        outcome: 'denied',
        payload: { reason: outcome.reason, ...(outcome.clientId ? { clientId: outcome.clientId } : {}) },
      });
      throw new OAuthError(outcome.error, outcome.description);
    }
    return outcome;
  }

  private async tryIssue(req: TokenRequest): Promise<TokenResponse | Refusal> {
    if (req.grant_type !== 'client_credentials') {
      if (typeof req.grant_type !== 'string') throw new OAuthError('invalid_request', 'grant_type is required');
      throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported');
    }
    if (req.client_assertion_type !== CLIENT_ASSERTION_TYPE)
      throw new OAuthError('invalid_request', `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    if (typeof req.client_assertion !== 'string' || req.client_assertion.length > 16_384)
      throw new OAuthError('invalid_request', 'client_assertion is required');
    if (req.scope !== undefined && typeof req.scope !== 'string') throw new OAuthError('invalid_request', 'scope must be a string');
    const assertion = req.client_assertion;

    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(assertion);
    } catch {
      return { error: 'invalid_client', description: 'client_assertion is not a JWT', reason: 'malformed' };
    }
    const clientId = typeof unverified.iss === 'string' ? unverified.iss : '';
    const client = await this.clients.byId(clientId);
    if (!client) return { error: 'invalid_client', description: 'unknown client', reason: 'unknown_client' };
    if (unverified.sub !== clientId)
      return { error: 'invalid_client', description: 'iss and sub must both be the client_id', reason: 'bad_claims', clientId };
    if (client.disabled) return { error: 'invalid_client', description: 'client is disabled', reason: 'client_disabled', clientId };

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, this.keySet(client), {
        algorithms: CLIENT_ASSERTION_ALGS,
        issuer: clientId,
        subject: clientId,
        audience: this.tokenEndpoint,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (err) {
      return { error: 'invalid_client', description: 'client_assertion could not be verified', reason: rejectionReason(err), clientId };
    }
    const now = Math.floor(Date.now() / 1000);
    const exp = payload.exp!;
    if (exp - now > MAX_ASSERTION_SECONDS + CLOCK_TOLERANCE_SECONDS) {
      return {
        error: 'invalid_client',
        description: 'client_assertion exp must be at most 5 minutes ahead',
        reason: 'lifetime_too_long',
        clientId,
      };
    }
    const jti = payload.jti!;
    if (jti.length === 0 || jti.length > 256)
      return { error: 'invalid_client', description: 'client_assertion jti is invalid', reason: 'bad_claims', clientId };

    const grants = clientGrants(client);
    const allowed = buildPrincipal('client', client.id, grants).permissions;
    const requested = typeof req.scope === 'string' ? req.scope.split(' ').filter(Boolean) : [];
    const unknown = requested.filter(
      (s) => !(PERMISSIONS as readonly string[]).includes(s) || !allowed.includes(s as (typeof allowed)[number]),
    );
    if (unknown.length > 0)
      return {
        error: 'invalid_scope',
        description: 'a requested scope is unknown or not allowed for this client',
        reason: 'invalid_scope',
        clientId,
      };
    const scopes = requested.length > 0 ? requested : [...allowed];

    return this.db.run(async () => {
      const fresh = await this.clients.rememberJti(clientId, jti, new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000));
      if (!fresh)
        return {
          error: 'invalid_client' as const,
          description: 'client_assertion jti was already used',
          reason: 'replayed_jti' as const,
          clientId,
        };
      const principal = buildPrincipal('client', client.id, grants, { scopes });
      const issued = await this.tokens.issueForClient(principal, scopes);
      await this.audit.append({
        action: 'auth.token_issued',
        actor: actorOf(principal),
        target: { type: 'api_client', id: client.id },
        payload: { clientId: client.id, scopes, expiresIn: issued.expiresIn, kid: issued.kid },
      });
      return { access_token: issued.token, token_type: 'Bearer' as const, expires_in: issued.expiresIn, scope: scopes.join(' ') };
    });
  }
}
