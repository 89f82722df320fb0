import { permissionsOf } from './role-permissions.js';
import type { Permission } from './permissions.js';
import type { Principal } from './principal.js';
import type { Role } from './roles.js';

/** Build a principal from role assignments; a client's token scopes narrow its permissions. */
export function buildPrincipal(
  kind: 'user' | 'client',
  id: string,
  grants: readonly { role: Role; trustId: string | null; partnerId: string | null }[],
  extra: { sessionId?: string; scopes?: readonly string[] } = {},
): Principal {
  const roles = [...new Set(grants.map((g) => g.role))].sort();
  const trustId = grants.find((g) => g.trustId)?.trustId ?? undefined;
  const partnerId = grants.find((g) => g.partnerId)?.partnerId ?? undefined;
  let permissions: Permission[] = permissionsOf(roles);
  if (extra.scopes) permissions = permissions.filter((p) => extra.scopes!.includes(p));
  return {
    kind,
    id,
    roles,
    ...(trustId ? { trustId } : {}),
    ...(partnerId ? { partnerId } : {}),
    permissions,
    ...(extra.sessionId ? { sessionId: extra.sessionId } : {}),
    ...(extra.scopes ? { scopes: extra.scopes } : {}),
  };
}

/** Machine clients act in the role of their owner: a partner's clients as `partner`, a trust's as `trust-uploader`. */
export function clientGrants(c: {
  partnerId: string | null;
  trustId: string | null;
}): { role: Role; trustId: string | null; partnerId: string | null }[] {
  if (c.partnerId) return [{ role: 'partner', trustId: null, partnerId: c.partnerId }];
  if (c.trustId) return [{ role: 'trust-uploader', trustId: c.trustId, partnerId: null }];
  return [];
}
