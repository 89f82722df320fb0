import { DomainError } from '@harbour/errors';

/**
 * The data access request / project workflow as a transition table (CONVENTIONS §9): services
 * call `transition()`, never assign a status. The request *is* the project once approved: the
 * id does not change, so audit entries before and after approval share the target.
 *
 *   draft → submitted → under_review → approved | rejected | changes_requested
 *   changes_requested → draft (partner edits) → submitted …
 *   approved → active → expired | revoked | closed
 */
export const REQUEST_STATUSES = [
  'draft',
  'submitted',
  'under_review',
  'approved',
  'rejected',
  'changes_requested',
  'active',
  'expired',
  'revoked',
  'closed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const REQUEST_TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  draft: ['submitted', 'closed'],
  submitted: ['under_review', 'closed'],
  under_review: ['approved', 'rejected', 'changes_requested'],
  changes_requested: ['draft', 'closed'],
  approved: ['active'],
  rejected: [],
  active: ['expired', 'revoked', 'closed'],
  expired: [],
  revoked: [],
  closed: [],
};

/** Per-trust state of a request: each requested trust's guardians decide for that trust only. */
export const TRUST_STATUSES = ['pending', 'approved', 'rejected', 'changes_requested', 'revoked', 'expired'] as const;
export type TrustStatus = (typeof TRUST_STATUSES)[number];

export const TRUST_TRANSITIONS: Readonly<Record<TrustStatus, readonly TrustStatus[]>> = {
  pending: ['approved', 'rejected', 'changes_requested'],
  approved: ['revoked', 'expired'],
  rejected: [],
  changes_requested: ['pending'],
  revoked: [],
  expired: [],
};

export function assertTransition<S extends string>(table: Readonly<Record<S, readonly S[]>>, from: S, to: S): void {
  if (!table[from].includes(to)) throw new DomainError('invalid_transition', `cannot move from ${from} to ${to}`);
}

/**
 * The request's overall outcome once every requested trust has decided: active for the trusts
 * that approved (and only them); changes requested if none approved and some asked for changes;
 * rejected if all rejected. `undefined` while any trust is still pending.
 */
export function overallOutcome(trustStatuses: readonly TrustStatus[]): 'approved' | 'rejected' | 'changes_requested' | undefined {
  if (trustStatuses.some((s) => s === 'pending')) return undefined;
  if (trustStatuses.some((s) => s === 'approved')) return 'approved';
  if (trustStatuses.some((s) => s === 'changes_requested')) return 'changes_requested';
  return 'rejected';
}
