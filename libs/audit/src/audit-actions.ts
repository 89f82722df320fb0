/**
 * The one catalogue of audit actions (`domain.verb_past`) and the payload type each carries:
 * `AuditPayloads`, a TypeScript map from action to payload, which `AuditLog.append` checks at
 * compile time.
 *
 * Payloads hold ids, enumerated reasons and counts only: never patient identifiers, names or
 * free text (the trail is read by auditors and exported; `assertSafeAuditValue` refuses
 * anything that looks like free text or an NHS number at run time as a second line of defence).
 *
 * Adding actions: the identity and audit actions are declared here. Another bounded context
 * declares its own in its own lib by augmenting the interface (TypeScript declaration merging),
 * e.g. in `libs/access/src/audit-actions.ts`:
 *
 *     declare module '@harbour/audit' {
 *       interface AuditPayloads {
 *         'access_request.approved': { trustId: string; approvals: number };
 *       }
 *     }
 *
 * (and import that file once from the lib's index so the declaration is always in scope).
 */

/** Why a password login failed; enumerated so the entry never carries what was typed. */
export type LoginFailureReason = 'unknown_user' | 'bad_password' | 'bad_totp' | 'totp_replayed' | 'locked' | 'disabled' | 'mfa_required';

/** Why a bearer token or client assertion was refused. */
export type TokenRejectionReason =
  | 'malformed'
  | 'bad_signature'
  | 'bad_algorithm'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_issuer'
  | 'bad_audience'
  | 'unknown_key'
  | 'unknown_client'
  | 'client_disabled'
  | 'user_disabled'
  | 'session_revoked'
  | 'replayed_jti'
  | 'lifetime_too_long'
  | 'bad_claims'
  | 'unknown_subject'
  | 'invalid_scope';

export interface AuditPayloads {
  // authentication (people)
  'auth.login_succeeded': { method: 'password' | 'password+totp' | 'oidc'; sessionId: string };
  'auth.login_failed': { reason: LoginFailureReason; failedAttempts?: number };
  'auth.account_locked': { failedAttempts: number; lockedForSeconds: number };
  'auth.session_refreshed': { sessionId: string };
  'auth.refresh_reuse_detected': { sessionId: string };
  'auth.refresh_failed': { reason: 'unknown_token' | 'expired' | 'revoked' | 'user_disabled' };
  'auth.logged_out': { sessionId: string };
  'auth.totp_enrolment_started': Record<string, never>;
  'auth.totp_enabled': Record<string, never>;
  'auth.totp_enrolment_failed': Record<string, never>;
  // authentication (machine clients, RFC 7523) and token checks
  'auth.token_issued': { clientId: string; scopes: readonly string[]; expiresIn: number; kid: string };
  'auth.token_refused': { reason: TokenRejectionReason; clientId?: string };
  'auth.token_rejected': { reason: TokenRejectionReason; route: string };
  'auth.access_denied': { permission: string; route: string };
  // administration
  'trust.created': { odsCode: string };
  'partner.created': Record<string, never>;
  'client.registered': { clientId: string; keySource: 'jwks' | 'jwks_url'; ownerType: 'partner' | 'trust' };
  'client.disabled': { clientId: string };
  'user.created': { roles: readonly string[] };
  'user.disabled': Record<string, never>;
  'user.role_granted': { role: string; scopeType: 'trust' | 'partner' | 'station'; scopeId: string | null };
  'user.role_revoked': { role: string; scopeType: 'trust' | 'partner' | 'station'; scopeId: string | null };
  'key.rotated': { kid: string; previousKid: string | null };
  // governed access (libs/access)
  'access_request.created': { trustCount: number; commercialUse: boolean; duoCodes: readonly string[] };
  'access_request.updated': Record<string, never>;
  'access_request.submitted': { trustCount: number };
  'access_request.decided': {
    decision: 'approve' | 'reject' | 'request_changes';
    trustOutcome: 'approved' | 'rejected' | 'changes_requested' | 'pending';
    quorum: number;
  };
  'access_request.concluded': { outcome: 'rejected' | 'changes_requested' };
  'project.activated': { trustIds: readonly string[] };
  'project.revoked': { trustIds: readonly string[]; projectEnded: boolean };
  'project.expired': { projectEnded: boolean };
  'project.closed': Record<string, never>;
  'feasibility.granted': { validUntil: string };
  // queries under disclosure control (libs/query via the access layer)
  'query.executed': {
    kind: 'feasibility' | 'aggregate';
    releaseId: string;
    cohortHash: string;
    trustIds: readonly string[];
    sdcActions: readonly string[];
    released: { total: number | null; cells: number };
    epsilonCharged: number | null;
    /** `trustId:kind:version` of every opt-out list in force when the result was computed. */
    consentListVersions: readonly string[];
  };
  'query.refused': {
    kind: 'feasibility' | 'aggregate';
    reason: 'disclosure_refused' | 'privacy_budget_exhausted' | 'rate_limited' | 'invalid_cohort';
    cohortHash: string | null;
  };
  // ingestion and consent (libs/ingestion, libs/consent)
  'ingestion.batch_opened': { kind: 'fhir' | 'csv' };
  'ingestion.batch_submitted': { files: number };
  'ingestion.batch_completed': { seen: number; accepted: number; unchanged: number; rejected: number };
  'consent.lineage_viewed': { releases: number; jobs: number; imagingProjects: number };
  'optout.list_uploaded': { kind: 'ndop' | 'type1'; version: number; entries: number; invalidLines: number; removedFromResearch: number };
  // revenue-share ledger over HTTP and compliance reports (apps/api/src/ledger, libs/compliance)
  'ledger.agreement_set': {
    version: number;
    partnerId: string;
    currency: string;
    trustShareBps: number;
    splitMethod: 'contribution' | 'equal' | 'fixed';
    trustCount: number;
  };
  /** A project's fixed fee for a period was metered (the billable event references this entry). */
  'ledger.period_fee_charged': { periodId: string; amountPence: number; outcome: 'recorded' | 'duplicate' };
  /** Appended before the close in its transaction (lock order: chain head, then period); totals are in the ledger. */
  'ledger.period_closed': { periodId: string; periodFees: number };
  'ledger.statement_issued': { party: 'partner' | 'trust'; periodId: string; format: 'json' | 'csv' | 'pdf' | 'jws' };
  'ledger.reconciled': { periodId: string; ok: boolean; differences: number };
  'compliance.report_generated': {
    from: string;
    to: string;
    fromSeq: number;
    toSeq: number;
    files: number;
    manifestSha256: string;
    projects: number;
    releasesChecked: number;
    optOutViolations: number;
  };
  // the trail itself
  'audit.exported': { fromSeq: number; toSeq: number; entries: number; checkpoints: number };
  'audit.verified': { ok: boolean; entriesChecked: number; firstBadSeq: number | null };
}

export type AuditAction = keyof AuditPayloads;

/** Action names are `domain.verb_past` in snake case; checked at run time for search filters. */
export const AUDIT_ACTION_PATTERN = /^[a-z][a-z0-9_-]*\.[a-z][a-z0-9_]*$/;

export function isAuditActionName(s: string): boolean {
  return AUDIT_ACTION_PATTERN.test(s);
}
