import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { HARBOUR_CONFIG, type HarbourConfig } from '@harbour/config';
import { DomainError, notFound, type FieldError } from '@harbour/errors';
import { AuditLog } from '@harbour/audit';
import { UserRepository } from '../repositories/user.repository.js';
import { OrganisationRepository } from '../repositories/organisation.repository.js';
import { actorOf, type Principal } from '../authz/principal.js';
import { ROLE_SCOPE, type Role } from '../authz/roles.js';
import { hashPassword, passwordProblems } from '../crypto/password.js';
import type { User } from '../entities/user.entity.js';

export interface RoleGrantInput {
  readonly role: Role;
  readonly trustId?: string | undefined;
  readonly partnerId?: string | undefined;
}

export interface CreateUserInput {
  readonly username: string;
  readonly email?: string | undefined;
  readonly password?: string | undefined;
  readonly roles: readonly RoleGrantInput[];
  /** External OIDC subject (the provider's `sub`) for single sign-on; the issuer is the configured one. */
  readonly externalSubject?: string | undefined;
  readonly externalIssuer?: string | undefined;
}

export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly email: string | null;
  readonly disabled: boolean;
  readonly totpEnabled: boolean;
  readonly roles: readonly { role: Role; trustId: string | null; partnerId: string | null }[];
  readonly createdAt: string;
}

type Grant = { role: Role; trustId: string | null; partnerId: string | null };

/**
 * Users and their roles, administered by operators. Rules: a scoped role names its
 * organisation (guardian and trust-uploader a trust, partner a partner; station roles none),
 * and a user belongs to at most one trust and one partner, so a principal has one of each.
 */
@Injectable()
export class UserAdminService {
  constructor(
    @Inject(HARBOUR_CONFIG) private readonly config: HarbourConfig,
    @Inject(Db) private readonly db: Db,
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(OrganisationRepository) private readonly orgs: OrganisationRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  private async checkGrants(existing: readonly Grant[], added: readonly RoleGrantInput[]): Promise<Grant[]> {
    const fields: FieldError[] = [];
    const out: Grant[] = [];
    added.forEach((g, i) => {
      const scope = ROLE_SCOPE[g.role];
      const msgs: string[] = [];
      if (scope === 'trust' && !g.trustId) msgs.push(`${g.role} needs a trustId`);
      if (scope !== 'trust' && g.trustId) msgs.push(`${g.role} takes no trustId`);
      if (scope === 'partner' && !g.partnerId) msgs.push(`${g.role} needs a partnerId`);
      if (scope !== 'partner' && g.partnerId) msgs.push(`${g.role} takes no partnerId`);
      if ([...existing, ...out].some((e) => e.role === g.role)) msgs.push(`role ${g.role} is already held`);
      if (msgs.length) fields.push({ field: `roles.${i}`, messages: msgs });
      else out.push({ role: g.role, trustId: g.trustId ?? null, partnerId: g.partnerId ?? null });
    });
    const all = [...existing, ...out];
    if (new Set(all.map((g) => g.trustId).filter(Boolean)).size > 1)
      fields.push({ field: 'roles', messages: ['a user belongs to at most one trust'] });
    if (new Set(all.map((g) => g.partnerId).filter(Boolean)).size > 1)
      fields.push({ field: 'roles', messages: ['a user belongs to at most one partner'] });
    if (fields.length) throw new DomainError('validation_failed', 'request body is invalid', { fields });
    for (const g of out) {
      if (g.trustId && !(await this.orgs.trustById(g.trustId))) throw notFound('trust');
      if (g.partnerId && !(await this.orgs.partnerById(g.partnerId))) throw notFound('partner');
    }
    return out;
  }

  async create(p: Principal, input: CreateUserInput): Promise<UserView> {
    if (input.password !== undefined) {
      const problems = passwordProblems(input.password);
      if (problems.length)
        throw new DomainError('validation_failed', 'request body is invalid', { fields: [{ field: 'password', messages: problems }] });
    }
    if (input.password === undefined && input.externalSubject === undefined) {
      throw new DomainError('validation_failed', 'request body is invalid', {
        fields: [{ field: 'password', messages: ['give a password or an externalSubject'] }],
      });
    }
    // Single sign-on users belong to the configured provider unless another issuer is named.
    const externalIssuer = input.externalSubject !== undefined ? (input.externalIssuer ?? this.config.auth.oidc?.issuer) : undefined;
    if (input.externalSubject !== undefined && externalIssuer === undefined) {
      throw new DomainError('validation_failed', 'request body is invalid', {
        fields: [{ field: 'externalSubject', messages: ['no OpenID Connect provider is configured (HARBOUR_OIDC_ISSUER)'] }],
      });
    }
    const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
    return this.db.run(async () => {
      const grants = await this.checkGrants([], input.roles);
      if (await this.users.byUsername(input.username)) throw new DomainError('already_exists', 'a user with this username exists');
      let user: User;
      try {
        user = await this.users.insert({
          username: input.username,
          email: input.email ?? null,
          passwordHash,
          externalIssuer: externalIssuer ?? null,
          externalSubject: input.externalSubject ?? null,
        });
      } catch (err) {
        if ((err as { code?: string }).code === '23505')
          throw new DomainError('already_exists', 'a user with this username, e-mail or external subject exists');
        throw err;
      }
      for (const g of grants) await this.users.grant({ userId: user.id, ...g });
      await this.audit.append({
        action: 'user.created',
        actor: actorOf(p),
        target: { type: 'user', id: user.id },
        payload: { roles: grants.map((g) => g.role) },
      });
      return view(user, grants);
    });
  }

  async list(_p: Principal): Promise<UserView[]> {
    const users = await this.users.list();
    const roles = await this.users.rolesOf(users.map((u) => u.id));
    return users.map((u) =>
      view(
        u,
        roles.filter((r) => r.userId === u.id).map((r) => ({ role: r.role as Role, trustId: r.trustId, partnerId: r.partnerId })),
      ),
    );
  }

  async get(_p: Principal, id: string): Promise<UserView> {
    const u = await this.users.byId(id);
    if (!u) throw notFound('user');
    return view(
      u,
      (await this.users.roles(u.id)).map((r) => ({ role: r.role as Role, trustId: r.trustId, partnerId: r.partnerId })),
    );
  }

  async grantRole(p: Principal, userId: string, g: RoleGrantInput): Promise<UserView> {
    return this.db.run(async () => {
      const u = await this.users.byId(userId, true);
      if (!u) throw notFound('user');
      const existing = (await this.users.roles(u.id)).map((r) => ({ role: r.role as Role, trustId: r.trustId, partnerId: r.partnerId }));
      const [grant] = await this.checkGrants(existing, [g]);
      await this.users.grant({ userId: u.id, ...grant! });
      await this.audit.append({
        action: 'user.role_granted',
        actor: actorOf(p),
        target: { type: 'user', id: u.id },
        trustId: grant!.trustId,
        payload: { role: grant!.role, scopeType: ROLE_SCOPE[grant!.role], scopeId: grant!.trustId ?? grant!.partnerId },
      });
      return view(u, [...existing, grant!]);
    });
  }

  async revokeRole(p: Principal, userId: string, role: Role): Promise<UserView> {
    return this.db.run(async () => {
      const u = await this.users.byId(userId, true);
      if (!u) throw notFound('user');
      const existing = await this.users.roles(u.id);
      const held = existing.find((r) => r.role === role);
      if (!held) throw notFound('role assignment');
      await this.users.revoke(u.id, role);
      await this.audit.append({
        action: 'user.role_revoked',
        actor: actorOf(p),
        target: { type: 'user', id: u.id },
        trustId: held.trustId,
        payload: { role, scopeType: ROLE_SCOPE[role], scopeId: held.trustId ?? held.partnerId },
      });
      return view(
        u,
        existing.filter((r) => r.role !== role).map((r) => ({ role: r.role as Role, trustId: r.trustId, partnerId: r.partnerId })),
      );
    });
  }

  /** Disable a user: sessions are revoked, so live access tokens stop working at once. */
  async disable(p: Principal, userId: string): Promise<UserView> {
    return this.db.run(async () => {
      const u = await this.users.byId(userId, true);
      if (!u) throw notFound('user');
      if (!u.disabled) {
        await this.users.update(u.id, { disabled: true });
        await this.users.revokeSessionsOf(u.id);
        await this.audit.append({ action: 'user.disabled', actor: actorOf(p), target: { type: 'user', id: u.id }, payload: {} });
      }
      return view(
        { ...u, disabled: true },
        (await this.users.roles(u.id)).map((r) => ({ role: r.role as Role, trustId: r.trustId, partnerId: r.partnerId })),
      );
    });
  }
}

function view(u: User, roles: readonly Grant[]): UserView {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    disabled: u.disabled,
    totpEnabled: u.totpEnabled,
    roles: [...roles].sort((a, b) => a.role.localeCompare(b.role)),
    createdAt: u.createdAt.toISOString(),
  };
}
