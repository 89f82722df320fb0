import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TrustStatus } from '../workflow.js';

/** Conditions a guardian attaches to an approval; they narrow what the project may do. */
export interface ApprovalConditions {
  /** Tighter small-count suppression threshold than the default (≥ 10). */
  suppressionThreshold?: number;
  /** Rounding base for released counts. */
  roundingBase?: number;
  /** No imaging for this trust's data. */
  noImaging?: boolean;
  /** Only these FHIR resource types from this trust. */
  resourceTypes?: string[];
  /** Require study consent (FHIR Consent permit) for this trust's patients. */
  requireStudyConsent?: boolean;
  /** Free-text condition shown to the partner (not patient data). */
  note?: string;
}

/** One requested trust of a request: its own decision state, quorum, conditions and end date. */
@Entity({ schema: 'access', name: 'request_trust' })
@Index(['trustId', 'status'])
export class RequestTrust {
  @PrimaryColumn('uuid')
  requestId!: string;

  @PrimaryColumn('uuid')
  trustId!: string;

  @Column('text')
  status!: TrustStatus;

  /** Distinct guardian approvals needed (the trust's policy at submission). */
  @Column('int')
  quorum!: number;

  @Column('jsonb', { default: {} })
  conditions!: ApprovalConditions;

  @Column({ type: 'timestamptz', nullable: true })
  endDate!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;
}
