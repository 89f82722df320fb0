/**
 * Roles a user or machine client can hold. A user may hold several; scoped roles carry their
 * organisation: `guardian` and `trust-uploader` a trust, `partner` a partner organisation.
 * `auditor` and `operator` are station-wide.
 */
export const ROLES = ['guardian', 'auditor', 'operator', 'trust-uploader', 'partner'] as const;
export type Role = (typeof ROLES)[number];

/** Which organisation each role is scoped to. */
export const ROLE_SCOPE: Record<Role, 'trust' | 'partner' | 'station'> = {
  guardian: 'trust',
  'trust-uploader': 'trust',
  partner: 'partner',
  auditor: 'station',
  operator: 'station',
};

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}
