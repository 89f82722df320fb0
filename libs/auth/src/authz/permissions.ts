import { SetMetadata } from '@nestjs/common';

/**
 * The permission catalogue. Every route declares exactly one of these (or `@Public()`);
 * roles map to permissions in `role-permissions.ts`. Names are `domain.action`.
 */
export const PERMISSIONS = [
  'health.read',
  'account.manage',
  'trust.read',
  'trust.manage',
  'partner.read',
  'partner.manage',
  'client.manage',
  'user.manage',
  'key.manage',
  'audit.read',
  'audit.export',
  'audit.checkpoint',
  'access-request.create',
  'access-request.read',
  'access-request.approve',
  'project.read',
  'project.revoke',
  'query.feasibility',
  'query.run',
  'ingest.upload',
  'ingest.read',
  'optout.manage',
  'imaging.upload',
  'imaging.read',
  'imaging.quarantine.review',
  'compute.submit',
  'compute.read',
  'airlock.review',
  'output.download',
  'ledger.read',
  'ledger.manage',
  'compliance.report',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const PERMISSION_KEY = 'harbour:permission';
export const PUBLIC_KEY = 'harbour:public';

/** Declare the permission a route requires. Deny by default: a route with no declaration is refused. */
export const RequirePermission = (permission: Permission): MethodDecorator & ClassDecorator => SetMetadata(PERMISSION_KEY, permission);

/** Declare a route reachable without authentication (health, token endpoint, JWKS, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);
