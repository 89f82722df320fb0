import { notFound, DomainError } from '@harbour/errors';
import type { Principal } from './principal.js';

/**
 * Resource scoping, one place for every module (the Medplum idea of an access policy built
 * per login). Rules:
 * - a partner (user or client) sees only its own partner organisation's resources and projects;
 * - a guardian or trust-uploader sees only its own trust's resources;
 * - an auditor sees governance data station-wide, never patient-level data;
 * - an operator administers organisations station-wide, never patient-level data.
 * What the caller may not see answers **404** (`assert*` throw `not_found`), so existence does
 * not leak across tenants. Permissions (what kind of action) are checked by the guard first.
 */
export const AccessPolicy = {
  /** Station-wide governance view (operator, auditor, the station itself). */
  isStationWide(p: Principal): boolean {
    return p.kind === 'system' || p.roles.includes('operator') || p.roles.includes('auditor');
  },

  /** May the caller see resources owned by this trust? */
  canSeeTrust(p: Principal, trustId: string): boolean {
    return AccessPolicy.isStationWide(p) || p.trustId === trustId;
  },

  /** May the caller see resources owned by this partner organisation? */
  canSeePartner(p: Principal, partnerId: string): boolean {
    return AccessPolicy.isStationWide(p) || p.partnerId === partnerId;
  },

  /**
   * May the caller see a project? The owning partner, a guardian of a trust that takes part,
   * and the station-wide governance roles.
   */
  canSeeProject(p: Principal, project: { readonly partnerId: string; readonly trustIds: readonly string[] }): boolean {
    if (AccessPolicy.isStationWide(p)) return true;
    if (p.partnerId !== undefined && p.partnerId === project.partnerId) return true;
    return p.trustId !== undefined && p.roles.includes('guardian') && project.trustIds.includes(p.trustId);
  },

  /**
   * Patient-level data (vault records, identifiable uploads): only the trust's own roles.
   * Operators and auditors never; partners only ever see de-identified research data.
   */
  canSeePatientData(p: Principal, trustId: string): boolean {
    return p.trustId === trustId && (p.roles.includes('guardian') || p.roles.includes('trust-uploader'));
  },

  /** The trust filter a list query must apply: undefined = all trusts; [] = none. */
  trustFilter(p: Principal): readonly string[] | undefined {
    if (AccessPolicy.isStationWide(p)) return undefined;
    return p.trustId ? [p.trustId] : [];
  },

  /** The partner filter a list query must apply: undefined = all partners; [] = none. */
  partnerFilter(p: Principal): readonly string[] | undefined {
    if (AccessPolicy.isStationWide(p)) return undefined;
    return p.partnerId ? [p.partnerId] : [];
  },

  assertTrust(p: Principal, trustId: string, what = 'trust'): void {
    if (!AccessPolicy.canSeeTrust(p, trustId)) throw notFound(what);
  },

  assertPartner(p: Principal, partnerId: string, what = 'partner'): void {
    if (!AccessPolicy.canSeePartner(p, partnerId)) throw notFound(what);
  },

  assertProject(p: Principal, project: { readonly partnerId: string; readonly trustIds: readonly string[] }, what = 'project'): void {
    if (!AccessPolicy.canSeeProject(p, project)) throw notFound(what);
  },

  assertPatientData(p: Principal, trustId: string, what = 'record'): void {
    if (!AccessPolicy.canSeePatientData(p, trustId)) throw notFound(what);
  },

  /** Only people (not machine clients, not the station) may do this (e.g. enrol TOTP). */
  assertPerson(p: Principal): void {
    if (p.kind !== 'user') throw new DomainError('forbidden', 'only a person can do this');
  },
};
