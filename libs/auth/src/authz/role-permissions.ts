import type { Permission } from './permissions.js';
import type { Role } from './roles.js';

/**
 * Role → permissions, as data. Later issues add their permissions here (and to the catalogue in
 * permissions.ts). Principles:
 * - `operator` runs the station (trusts, partners, clients, keys, users) but never reads
 *   patient-level data;
 * - `auditor` reads governance data (audit trail, ledgers, reports) station-wide, read-only;
 * - `guardian` decides for one trust; `trust-uploader` only sends that trust's data;
 * - `partner` sees only its own organisation's projects and outputs.
 * Scoping to the caller's own trust/partner is `AccessPolicy`'s job, not this table's.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  operator: [
    'health.read',
    'account.manage',
    'trust.read',
    'trust.manage',
    'partner.read',
    'partner.manage',
    'client.manage',
    'user.manage',
    'key.manage',
    'audit.checkpoint',
    'ingest.read',
    'ledger.read',
    'ledger.manage',
  ],
  auditor: [
    'health.read',
    'account.manage',
    'trust.read',
    'partner.read',
    'audit.read',
    'audit.export',
    'audit.checkpoint',
    'access-request.read',
    'project.read',
    'ledger.read',
    'compliance.report',
  ],
  guardian: [
    'account.manage',
    'trust.read',
    'partner.read',
    'access-request.read',
    'access-request.approve',
    'project.read',
    'project.revoke',
    'optout.manage',
    'ingest.read',
    'imaging.quarantine.review',
    'airlock.review',
    'compute.read',
    'ledger.read',
  ],
  'trust-uploader': ['account.manage', 'ingest.upload', 'ingest.read', 'optout.manage', 'imaging.upload'],
  partner: [
    'account.manage',
    'trust.read',
    'partner.read',
    'access-request.create',
    'access-request.read',
    'project.read',
    'query.feasibility',
    'query.run',
    'imaging.read',
    'compute.submit',
    'compute.read',
    'output.download',
    'ledger.read',
  ],
};

/** The union of the permissions of several roles. */
export function permissionsOf(roles: readonly Role[]): Permission[] {
  const out = new Set<Permission>();
  for (const r of roles) for (const p of ROLE_PERMISSIONS[r]) out.add(p);
  return [...out].sort();
}
