import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { DomainError } from '@harbour/errors';
import { AuditLog, ANONYMOUS_ACTOR, type AuditActor, type LoginFailureReason } from '@harbour/audit';
import { UserRepository } from '../repositories/user.repository.js';
import { AccessTokenService } from '../tokens/access-token.service.js';
import { buildPrincipal } from '../authz/principal-factory.js';
import { actorOf, type Principal } from '../authz/principal.js';
import { AccessPolicy } from '../authz/access-policy.js';
import { burnPasswordCheck, verifyPassword } from '../crypto/password.js';
import { SecretBox } from '../crypto/secret-box.js';
import { base32Decode, base32Encode, newTotpSecret, otpauthUri, verifyTotp } from '../crypto/totp.js';
import type { User } from '../entities/user.entity.js';
import type { Role } from '../authz/roles.js';

/** Lockout: after this many consecutive failures the account locks, doubling each time (NIST SP 800-63B §5.2.2 throttling). */
export const LOCKOUT_THRESHOLD = 5;
const LOCK_BASE_SECONDS = 30;
const LOCK_MAX_SECONDS = 15 * 60;
/** A sign-in session (refresh token) lasts at most this long; refreshing does not extend it. */
export const SESSION_SECONDS = 12 * 60 * 60;

export interface LoginInput {
  readonly username: string;
  readonly password: string;
  readonly totp?: string | undefined;
}

export interface SessionTokens {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshExpiresAt: string;
}

export function lockSecondsAfter(failures: number): number {
  if (failures < LOCKOUT_THRESHOLD) return 0;
  return Math.min(LOCK_MAX_SECONDS, LOCK_BASE_SECONDS * 2 ** (failures - LOCKOUT_THRESHOLD));
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const newRefreshToken = (): string => `hrt_${randomBytes(32).toString('base64url')}`;

type Failure = { fail: 'invalid_credentials' | 'locked' | 'mfa_required' | 'invalid_grant'; message: string };

/**
 * People signing in: password (argon2id), optional TOTP, lockout with back-off (state in the
 * database, so it holds across processes), short-lived access tokens and a rotating,
 * revocable refresh session. Failures are recorded (counter and audit entry) in their own
 * committed transaction, and only then refused.
 */
@Injectable()
export class LoginService {
  readonly #totpBox: SecretBox;

  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(AccessTokenService) private readonly tokens: AccessTokenService,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(KEY_MATERIAL) keys: KeyMaterial,
  ) {
    this.#totpBox = new SecretBox(keys, 'identity.totp');
  }

  private static userActor(u: User, roles: readonly { role: Role; trustId: string | null; partnerId: string | null }[]): AuditActor {
    return actorOf(buildPrincipal('user', u.id, roles));
  }

  async login(input: LoginInput): Promise<SessionTokens> {
    const outcome = await this.db.run(async (): Promise<SessionTokens | Failure> => {
      const user = await this.users.forLogin(input.username);
      const fail = async (reason: LoginFailureReason, actor: AuditActor, extra: { failedAttempts?: number } = {}): Promise<Failure> => {
        await this.audit.append({
          action: 'auth.login_failed',
          actor,
          outcome: 'denied',
          payload: { reason, ...extra },
          ...(user ? { target: { type: 'user', id: user.id } } : {}),
        });
        if (reason === 'locked') return { fail: 'locked', message: 'account temporarily locked after repeated failures; try again later' };
        if (reason === 'mfa_required') return { fail: 'mfa_required', message: 'a TOTP code is required: send it as "totp"' };
        return { fail: 'invalid_credentials', message: 'invalid username or password' };
      };
      if (!user || !user.passwordHash) {
        await burnPasswordCheck(input.password);
        return fail('unknown_user', ANONYMOUS_ACTOR);
      }
      const roles = (await this.users.roles(user.id)).map((r) => ({ role: r.role as Role, trustId: r.trustId, partnerId: r.partnerId }));
      const actor = LoginService.userActor(user, roles);
      if (user.disabled) {
        await burnPasswordCheck(input.password);
        return fail('disabled', actor);
      }
      if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) return fail('locked', actor);

      const recordFailure = async (reason: LoginFailureReason): Promise<Failure> => {
        const failedLogins = user.failedLogins + 1;
        const lockFor = lockSecondsAfter(failedLogins);
        await this.users.update(user.id, {
          failedLogins,
          lockedUntil: lockFor > 0 ? new Date(Date.now() + lockFor * 1000) : user.lockedUntil,
        });
        const f = await fail(reason, actor, { failedAttempts: failedLogins });
        if (lockFor > 0) {
          await this.audit.append({
            action: 'auth.account_locked',
            actor,
            target: { type: 'user', id: user.id },
            outcome: 'denied',
            payload: { failedAttempts: failedLogins, lockedForSeconds: lockFor },
          });
        }
        return f;
      };
      if (!(await verifyPassword(input.password, user.passwordHash))) return recordFailure('bad_password');

      let method: 'password' | 'password+totp' = 'password';
      if (user.totpEnabled && user.totpSecret) {
        if (!input.totp) return fail('mfa_required', actor);
        const step = verifyTotp(base32Decode(this.#totpBox.open(user.totpSecret, user.id)), input.totp);
        if (step === undefined) return recordFailure('bad_totp');
        if (user.totpLastStep !== null && step <= Number(user.totpLastStep)) return recordFailure('totp_replayed');
        await this.users.update(user.id, { totpLastStep: String(step) });
        method = 'password+totp';
      }
      await this.users.update(user.id, { failedLogins: 0, lockedUntil: null });
      const refreshToken = newRefreshToken();
      const expiresAt = new Date(Date.now() + SESSION_SECONDS * 1000);
      const session = await this.users.insertSession({ userId: user.id, tokenHash: sha256(refreshToken), expiresAt });
      const principal = buildPrincipal('user', user.id, roles, { sessionId: session.id });
      const access = await this.tokens.issueForUser(principal, session.id);
      await this.audit.append({
        action: 'auth.login_succeeded',
        actor,
        target: { type: 'user', id: user.id },
        payload: { method, sessionId: session.id },
      });
      return {
        accessToken: access.token,
        tokenType: 'Bearer',
        expiresIn: access.expiresIn,
        refreshToken,
        refreshExpiresAt: expiresAt.toISOString(),
      };
    });
    if ('fail' in outcome) throw LoginService.toError(outcome);
    return outcome;
  }

  private static toError(f: Failure): DomainError {
    switch (f.fail) {
      case 'locked':
        return new DomainError('account_locked', f.message);
      case 'mfa_required':
        return new DomainError('mfa_required', f.message);
      case 'invalid_grant':
        return new DomainError('invalid_grant', f.message);
      case 'invalid_credentials':
        return new DomainError('unauthenticated', f.message);
    }
  }

  /** Rotate a refresh token: the old one stops working; presenting it again revokes the session. */
  async refresh(refreshToken: string): Promise<SessionTokens> {
    const outcome = await this.db.run(async (): Promise<SessionTokens | Failure> => {
      const found = await this.users.sessionByTokenHash(sha256(refreshToken));
      const refuse = async (reason: 'unknown_token' | 'expired' | 'revoked' | 'user_disabled', actor: AuditActor): Promise<Failure> => {
        await this.audit.append({ action: 'auth.refresh_failed', actor, outcome: 'denied', payload: { reason } });
        return { fail: 'invalid_grant', message: 'refresh token is invalid, expired or revoked' };
      };
      if (!found) return refuse('unknown_token', ANONYMOUS_ACTOR);
      const { session, current } = found;
      const user = await this.users.byId(session.userId);
      const roles = (await this.users.roles(session.userId)).map((r) => ({
        role: r.role as Role,
        trustId: r.trustId,
        partnerId: r.partnerId,
      }));
      const actor = actorOf(buildPrincipal('user', session.userId, roles));
      if (session.revokedAt) return refuse('revoked', actor);
      if (!current) {
        // A rotated-out token came back: someone holds a copy. Revoke the whole session (RFC 9700 §4.14.2).
        await this.users.revokeSession(session.id);
        await this.audit.append({
          action: 'auth.refresh_reuse_detected',
          actor,
          outcome: 'denied',
          target: { type: 'session', id: session.id },
          payload: { sessionId: session.id },
        });
        return { fail: 'invalid_grant', message: 'refresh token is invalid, expired or revoked' };
      }
      if (session.expiresAt.getTime() <= Date.now()) return refuse('expired', actor);
      if (!user || user.disabled) return refuse('user_disabled', actor);
      const next = newRefreshToken();
      await this.users.rotateSession(session.id, session.tokenHash, sha256(next));
      const access = await this.tokens.issueForUser(buildPrincipal('user', user.id, roles, { sessionId: session.id }), session.id);
      await this.audit.append({
        action: 'auth.session_refreshed',
        actor,
        target: { type: 'session', id: session.id },
        payload: { sessionId: session.id },
      });
      return {
        accessToken: access.token,
        tokenType: 'Bearer',
        expiresIn: access.expiresIn,
        refreshToken: next,
        refreshExpiresAt: session.expiresAt.toISOString(),
      };
    });
    if ('fail' in outcome) throw LoginService.toError(outcome);
    return outcome;
  }

  /** Revoke the session of a refresh token; its access tokens stop working at once. Idempotent. */
  async logout(refreshToken: string): Promise<void> {
    await this.db.run(async () => {
      const found = await this.users.sessionByTokenHash(sha256(refreshToken));
      if (!found || found.session.revokedAt) return;
      await this.users.revokeSession(found.session.id);
      const roles = (await this.users.roles(found.session.userId)).map((r) => ({
        role: r.role as Role,
        trustId: r.trustId,
        partnerId: r.partnerId,
      }));
      await this.audit.append({
        action: 'auth.logged_out',
        actor: actorOf(buildPrincipal('user', found.session.userId, roles)),
        target: { type: 'session', id: found.session.id },
        payload: { sessionId: found.session.id },
      });
    });
  }

  /** Start TOTP enrolment: a new secret, pending until `verifyTotpEnrolment` sees a valid code. */
  async enrolTotp(p: Principal): Promise<{ secret: string; otpauthUri: string }> {
    AccessPolicy.assertPerson(p);
    return this.db.run(async () => {
      const user = await this.users.byId(p.id, true);
      if (!user) throw new DomainError('not_found', 'user not found');
      if (user.totpEnabled) throw new DomainError('conflict', 'TOTP is already enabled');
      const secret = base32Encode(newTotpSecret());
      await this.users.update(user.id, { totpPendingSecret: this.#totpBox.seal(secret, user.id) });
      await this.audit.append({
        action: 'auth.totp_enrolment_started',
        actor: actorOf(p),
        target: { type: 'user', id: user.id },
        payload: {},
      });
      return { secret, otpauthUri: otpauthUri(secret, user.username) };
    });
  }

  async verifyTotpEnrolment(p: Principal, code: string): Promise<{ enabled: true }> {
    AccessPolicy.assertPerson(p);
    const ok = await this.db.run(async () => {
      const user = await this.users.byId(p.id, true);
      if (!user?.totpPendingSecret) throw new DomainError('conflict', 'no TOTP enrolment is pending');
      const secret = this.#totpBox.open(user.totpPendingSecret, user.id);
      const step = verifyTotp(base32Decode(secret), code);
      if (step === undefined) return false;
      await this.users.update(user.id, {
        totpEnabled: true,
        totpSecret: user.totpPendingSecret,
        totpPendingSecret: null,
        totpLastStep: String(step),
      });
      await this.audit.append({ action: 'auth.totp_enabled', actor: actorOf(p), target: { type: 'user', id: user.id }, payload: {} });
      return true;
    });
    if (!ok) {
      await this.audit.append({
        action: 'auth.totp_enrolment_failed',
        actor: actorOf(p),
        outcome: 'failure',
        target: { type: 'user', id: p.id },
        payload: {},
      });
      throw new DomainError('validation_failed', 'the code is not valid', {
        fields: [{ field: 'code', messages: ['code does not match the enrolled secret'] }],
      });
    }
    return { enabled: true };
  }
}
