import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { User } from '../entities/user.entity.js';
import { RoleAssignment } from '../entities/role-assignment.entity.js';
import { RefreshSession } from '../entities/refresh-session.entity.js';
import type { Role } from '../authz/roles.js';
import { isUuid } from '../util.js';

export interface UserState {
  readonly id: string;
  readonly disabled: boolean;
  readonly roles: readonly { role: Role; trustId: string | null; partnerId: string | null }[];
}

/** SQL for users, their roles and sign-in sessions. */
@Injectable()
export class UserRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /** The user a login names (username or e-mail), locked until the transaction ends so concurrent attempts count correctly. */
  async forLogin(usernameOrEmail: string): Promise<User | null> {
    return this.db
      .manager()
      .getRepository(User)
      .createQueryBuilder('u')
      .setLock('pessimistic_write')
      .where('u.username = :n OR lower(u.email) = lower(:n)', { n: usernameOrEmail })
      .getOne();
  }

  async byId(id: string, lock = false): Promise<User | null> {
    if (!isUuid(id)) return null;
    const qb = this.db.manager().getRepository(User).createQueryBuilder('u').where('u.id = :id', { id });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  async byUsername(username: string): Promise<User | null> {
    return this.db.manager().getRepository(User).findOne({ where: { username } });
  }

  async byExternalSubject(issuer: string, subject: string): Promise<User | null> {
    return this.db
      .manager()
      .getRepository(User)
      .findOne({ where: { externalIssuer: issuer, externalSubject: subject } });
  }

  async insert(u: Partial<User> & { username: string }): Promise<User> {
    const repo = this.db.manager().getRepository(User);
    return repo.save(repo.create(u));
  }

  async update(
    id: string,
    patch: Partial<
      Pick<User, 'failedLogins' | 'lockedUntil' | 'disabled' | 'totpEnabled' | 'totpSecret' | 'totpPendingSecret' | 'totpLastStep'>
    >,
  ): Promise<void> {
    await this.db.manager().getRepository(User).update({ id }, patch);
  }

  async list(): Promise<User[]> {
    return this.db
      .manager()
      .getRepository(User)
      .find({ order: { username: 'ASC' } });
  }

  async roles(userId: string): Promise<RoleAssignment[]> {
    return this.db
      .manager()
      .getRepository(RoleAssignment)
      .find({ where: { userId }, order: { role: 'ASC' } });
  }

  async rolesOf(userIds: readonly string[]): Promise<RoleAssignment[]> {
    if (userIds.length === 0) return [];
    return this.db
      .manager()
      .getRepository(RoleAssignment)
      .createQueryBuilder('r')
      .where('r.user_id IN (:...ids)', { ids: userIds })
      .getMany();
  }

  async grant(a: { userId: string; role: Role; trustId: string | null; partnerId: string | null }): Promise<void> {
    await this.db.manager().getRepository(RoleAssignment).insert(a);
  }

  async revoke(userId: string, role: Role): Promise<number> {
    const res = await this.db.manager().getRepository(RoleAssignment).delete({ userId, role });
    return res.affected ?? 0;
  }

  /**
   * What the guard needs per request: disabled flag, current roles, and whether the token's
   * session is still live. One round trip.
   */
  async stateForToken(userId: string, sessionId: string | null): Promise<(UserState & { sessionLive: boolean }) | undefined> {
    const rows = await this.db.query<{ disabled: boolean; roles: UserState['roles'] | null; session_live: boolean }>(
      `SELECT u.disabled,
              (SELECT json_agg(json_build_object('role', r.role, 'trustId', r.trust_id, 'partnerId', r.partner_id))
                 FROM identity.role_assignment r WHERE r.user_id = u.id) AS roles,
              ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM identity.refresh_session s
                 WHERE s.id = $2::uuid AND s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now())) AS session_live
         FROM identity.user_account u WHERE u.id = $1::uuid`,
      [userId, sessionId],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { id: userId, disabled: r.disabled, roles: r.roles ?? [], sessionLive: r.session_live };
  }

  async insertSession(s: { userId: string; tokenHash: string; expiresAt: Date }): Promise<RefreshSession> {
    const repo = this.db.manager().getRepository(RefreshSession);
    return repo.save(repo.create({ ...s, previousTokenHash: null, revokedAt: null }));
  }

  /** The session a refresh token (current or just rotated out) belongs to, locked. */
  async sessionByTokenHash(hash: string): Promise<{ session: RefreshSession; current: boolean } | undefined> {
    const s = await this.db
      .manager()
      .getRepository(RefreshSession)
      .createQueryBuilder('s')
      .setLock('pessimistic_write')
      .where('s.token_hash = :h OR s.previous_token_hash = :h', { h: hash })
      .getOne();
    return s ? { session: s, current: s.tokenHash === hash } : undefined;
  }

  async rotateSession(id: string, previousHash: string, newHash: string): Promise<void> {
    await this.db.manager().getRepository(RefreshSession).update({ id }, { tokenHash: newHash, previousTokenHash: previousHash });
  }

  async revokeSession(id: string): Promise<void> {
    await this.db.query('UPDATE identity.refresh_session SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  }

  async revokeSessionsOf(userId: string): Promise<void> {
    await this.db.query('UPDATE identity.refresh_session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
  }
}
