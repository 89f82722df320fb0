import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { HARBOUR_CONFIG, type HarbourConfig } from '@harbour/config';
import { SigningKeyService, STATION_ALG } from '../keys/signing-key.service.js';
import { UserRepository } from '../repositories/user.repository.js';
import { ClientRepository } from '../repositories/client.repository.js';
import { buildPrincipal, clientGrants } from '../authz/principal-factory.js';
import type { Principal } from '../authz/principal.js';
import { OidcVerifier } from '../oidc/oidc.verifier.js';
import { rejectionReason, type TokenCheck } from './token-check.js';

/** JWT access token media type (RFC 9068 §2.1): a Harbour access token cannot pass for another JWT. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const USER_TOKEN_SECONDS = 15 * 60;
/** SMART Backend Services: access tokens for clients live no longer than five minutes. */
export const CLIENT_TOKEN_SECONDS = 5 * 60;
const CLOCK_TOLERANCE_SECONDS = 5;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Issues and verifies Harbour access tokens: ES256 JWTs (RFC 7519, profile of RFC 9068) signed
 * with the active station key, `kid` in the header. Verification pins the algorithm (so `none`
 * and HMAC-with-public-key tricks fail), the issuer and audience (the station's public URL), the
 * lifetime, and then checks live state: disabled users and clients, revoked sessions, current roles.
 */
@Injectable()
export class AccessTokenService {
  constructor(
    @Inject(HARBOUR_CONFIG) private readonly config: HarbourConfig,
    @Inject(SigningKeyService) private readonly keys: SigningKeyService,
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(ClientRepository) private readonly clients: ClientRepository,
    @Inject(OidcVerifier) private readonly oidc: OidcVerifier,
  ) {}

  private get issuer(): string {
    return this.config.http.publicUrl;
  }

  async issueForUser(p: Principal, sessionId: string): Promise<{ token: string; expiresIn: number }> {
    const { token } = await this.sign(p, USER_TOKEN_SECONDS, { sid: sessionId });
    return { token, expiresIn: USER_TOKEN_SECONDS };
  }

  async issueForClient(p: Principal, scopes: readonly string[]): Promise<{ token: string; expiresIn: number; kid: string }> {
    const { token, kid } = await this.sign(p, CLIENT_TOKEN_SECONDS, { client_id: p.id, scope: scopes.join(' ') });
    return { token, expiresIn: CLIENT_TOKEN_SECONDS, kid };
  }

  private async sign(p: Principal, seconds: number, extra: JWTPayload): Promise<{ token: string; kid: string }> {
    const now = Math.floor(Date.now() / 1000);
    return this.keys.signJwt(
      {
        ...extra,
        iss: this.issuer,
        aud: this.issuer,
        sub: p.id,
        iat: now,
        nbf: now,
        exp: now + seconds,
        jti: randomUUID(),
        hbr_kind: p.kind,
        roles: [...p.roles],
        ...(p.trustId ? { trust_id: p.trustId } : {}),
        ...(p.partnerId ? { partner_id: p.partnerId } : {}),
      },
      ACCESS_TOKEN_TYPE,
    );
  }

  async verify(token: string): Promise<TokenCheck> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (this.oidc.enabled && unverified.iss === this.oidc.issuer && unverified.iss !== this.issuer) return this.oidc.verify(token);
    if (header.alg !== STATION_ALG) return { ok: false, reason: 'bad_algorithm' };
    if (typeof header.kid !== 'string') return { ok: false, reason: 'unknown_key' };
    const key = await this.keys.verificationKey(header.kid);
    if (!key) return { ok: false, reason: 'unknown_key' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [STATION_ALG],
        issuer: this.issuer,
        audience: this.issuer,
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ['exp', 'iat', 'nbf', 'sub', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (err) {
      return { ok: false, reason: rejectionReason(err) };
    }
    const sub = payload.sub ?? '';
    if (!UUID.test(sub)) return { ok: false, reason: 'bad_claims' };
    if (payload['hbr_kind'] === 'user') {
      const sid = typeof payload['sid'] === 'string' && UUID.test(payload['sid']) ? payload['sid'] : null;
      if (!sid) return { ok: false, reason: 'bad_claims' };
      const state = await this.users.stateForToken(sub, sid);
      if (!state) return { ok: false, reason: 'unknown_subject', subjectId: sub };
      if (state.disabled) return { ok: false, reason: 'user_disabled', subjectId: sub };
      if (!state.sessionLive) return { ok: false, reason: 'session_revoked', subjectId: sub };
      return { ok: true, principal: buildPrincipal('user', sub, state.roles, { sessionId: sid }) };
    }
    if (payload['hbr_kind'] === 'client') {
      const client = await this.clients.byId(sub);
      if (!client) return { ok: false, reason: 'unknown_client', subjectId: sub };
      if (client.disabled) return { ok: false, reason: 'client_disabled', subjectId: sub };
      const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ').filter(Boolean) : [];
      return { ok: true, principal: buildPrincipal('client', sub, clientGrants(client), { scopes }) };
    }
    return { ok: false, reason: 'bad_claims' };
  }
}
