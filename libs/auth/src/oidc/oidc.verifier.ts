import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { HARBOUR_CONFIG, type HarbourConfig } from '@harbour/config';
import { UserRepository } from '../repositories/user.repository.js';
import { buildPrincipal } from '../authz/principal-factory.js';
import { rejectionReason, type TokenCheck } from '../tokens/token-check.js';

/**
 * The seam for an external OpenID Connect provider (OIDC Core 1.0 §3.1.3.7 checks: issuer,
 * audience, signature against the provider's JWKS, lifetime). The provider authenticates; Harbour
 * decides: the external `(iss, sub)` must be mapped to a Harbour user (`externalSubject` set by
 * an operator), whose roles apply. Unmapped subjects are refused.
 */
@Injectable()
export class OidcVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    @Inject(HARBOUR_CONFIG) private readonly config: HarbourConfig,
    @Inject(UserRepository) private readonly users: UserRepository,
  ) {
    const oidc = config.auth.oidc;
    this.jwks = oidc ? createRemoteJWKSet(new URL(oidc.jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 }) : undefined;
  }

  get enabled(): boolean {
    return this.jwks !== undefined;
  }

  get issuer(): string | undefined {
    return this.config.auth.oidc?.issuer;
  }

  async verify(token: string): Promise<TokenCheck> {
    const oidc = this.config.auth.oidc;
    if (!oidc || !this.jwks) return { ok: false, reason: 'bad_issuer' };
    let sub: string;
    try {
      const { payload } = await jwtVerify(token, this.jwks, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        algorithms: ['RS256', 'PS256', 'ES256'],
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: 5,
      });
      sub = payload.sub!;
    } catch (err) {
      return { ok: false, reason: rejectionReason(err) };
    }
    const user = await this.users.byExternalSubject(oidc.issuer, sub);
    if (!user) return { ok: false, reason: 'unknown_subject' };
    const state = await this.users.stateForToken(user.id, null);
    if (!state) return { ok: false, reason: 'unknown_subject' };
    if (state.disabled) return { ok: false, reason: 'user_disabled', subjectId: user.id };
    return { ok: true, principal: buildPrincipal('user', user.id, state.roles) };
  }
}
