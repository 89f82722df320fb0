import { DomainError } from '@harbour/errors';
import type { InstanceStatus } from '../entities/imaging-instance.entity.js';

export type ReviewDecision = 'release' | 'reject';

/**
 * Review transitions of a stored instance (CONVENTIONS §9). A quarantined instance (it may show
 * burned-in text or a face) can be released by the trust's guardian after looking at it, or
 * rejected. A held instance (patient not identified, or two NHS numbers) cannot be released:
 * without its patient it can be neither pseudonymised nor checked against opt-outs; it can only
 * be rejected (or sent again with the patient's NHS number).
 */
export const REVIEW_TRANSITIONS: Readonly<Record<InstanceStatus, Partial<Record<ReviewDecision, InstanceStatus>>>> = {
  quarantined: { release: 'available', reject: 'rejected' },
  held: { reject: 'rejected' },
  available: {},
  rejected: {},
};

export function reviewTarget(from: InstanceStatus, decision: ReviewDecision): InstanceStatus {
  const to = REVIEW_TRANSITIONS[from][decision];
  if (!to)
    throw new DomainError(
      'invalid_transition',
      from === 'held' ? 'a held instance (patient not identified) cannot be released' : `an ${from} instance cannot be reviewed`,
    );
  return to;
}
