import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One version of a project's commercial agreement: the fees the partner pays and the trusts'
 * revenue share. Append-only: changing terms adds a version with a later `effectiveFrom`, so every
 * billable event keeps pointing at the terms that priced it. Money columns are integer pence.
 */
@Entity({ schema: 'ledger', name: 'agreement' })
@Index(['projectId', 'version'], { unique: true })
@Check(
  'CHK_ledger_agreement_fees',
  `"fixed_fee_per_period_pence" >= 0 AND "per_query_pence" >= 0 AND "per_compute_minute_pence" >= 0 AND "per_output_released_pence" >= 0 AND "per_imaging_study_pence" >= 0`,
)
@Check('CHK_ledger_agreement_share', `"trust_share_bps" BETWEEN 0 AND 10000`)
@Check('CHK_ledger_agreement_split', `"split_method" IN ('contribution', 'equal', 'fixed')`)
export class Agreement {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  projectId!: string;

  @Column('uuid')
  partnerId!: string;

  @Column('int')
  version!: number;

  /** ISO 4217; every posting of the project is in this currency. */
  @Column('text')
  currency!: string;

  @Column('bigint')
  fixedFeePerPeriodPence!: string;

  @Column('bigint')
  perQueryPence!: string;

  @Column('bigint')
  perComputeMinutePence!: string;

  @Column('bigint')
  perOutputReleasedPence!: string;

  @Column('bigint')
  perImagingStudyPence!: string;

  /** Basis points of each fee that go to the trusts (400 = 4%). */
  @Column('int')
  trustShareBps!: number;

  @Column('text')
  splitMethod!: string;

  @Column('timestamptz')
  effectiveFrom!: Date;

  @Column({ type: 'text', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
