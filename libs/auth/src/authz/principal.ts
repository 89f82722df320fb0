import type { AuditActor } from '@harbour/audit';
import type { Permission } from './permissions.js';
import type { Role } from './roles.js';

/**
 * Who is calling, as established by the `AuthGuard` from a verified token (and fresh state
 * from the database: disabled accounts and revoked roles take effect at once).
 * `system` is the station itself (CLI, scheduled jobs, demo seeding); no token ever yields it.
 */
export interface Principal {
  readonly kind: 'user' | 'client' | 'system';
  readonly id: string;
  readonly roles: readonly Role[];
  /** The trust of the caller's trust-scoped roles (guardian, trust-uploader). */
  readonly trustId?: string;
  /** The partner organisation of the caller's partner role (users and partner clients). */
  readonly partnerId?: string;
  readonly permissions: readonly Permission[];
  /** Refresh session of a person's access token (revocable). */
  readonly sessionId?: string;
  /** Scopes granted to a machine client's token. */
  readonly scopes?: readonly string[];
}

/** The station acting on its own behalf with operator rights (CLI administration, seeding). */
export function systemPrincipal(permissions: readonly Permission[]): Principal {
  return { kind: 'system', id: 'harbour', roles: ['operator'], permissions };
}

export function hasPermission(p: Principal, permission: Permission): boolean {
  return p.permissions.includes(permission);
}

/** The audit actor of a principal: ids and role only. */
export function actorOf(p: Principal): AuditActor {
  return {
    type: p.kind,
    id: p.id,
    role: p.roles[0] ?? null,
    orgType: p.trustId ? 'trust' : p.partnerId ? 'partner' : 'station',
    orgId: p.trustId ?? p.partnerId ?? null,
  };
}
