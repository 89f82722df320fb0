import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A trust's standing governance settings; absent row = defaults. */
@Entity({ schema: 'access', name: 'trust_policy' })
export class TrustPolicy {
  @PrimaryColumn('uuid')
  trustId!: string;

  /** Guardians needed to approve (distinct people). */
  @Column({ type: 'int', default: 1 })
  quorum!: number;

  @Column({ type: 'int', default: 10 })
  suppressionThreshold!: number;

  @Column({ type: 'int', default: 5 })
  roundingBase!: number;

  /** Whether partners with a feasibility agreement may count this trust's patients before approval. */
  @Column({ type: 'boolean', default: true })
  allowFeasibility!: boolean;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** A partner's feasibility agreement: lets it ask for counts before a project is approved. */
@Entity({ schema: 'access', name: 'feasibility_agreement' })
export class FeasibilityAgreement {
  @PrimaryColumn('uuid')
  partnerId!: string;

  @Column({ type: 'timestamptz' })
  validUntil!: Date;

  @Column('text')
  grantedBy!: string;
}
