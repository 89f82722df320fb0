import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A project's differential-privacy budget, in thousandths of epsilon so sums are exact.
 * `epsilonSpentMilli` only grows: rephrasing or repeating a query is charged again.
 */
@Entity({ schema: 'query', name: 'privacy_budget' })
export class PrivacyBudget {
  @PrimaryColumn('uuid')
  projectId!: string;

  @Column('int')
  epsilonTotalMilli!: number;

  @Column('int')
  epsilonSpentMilli!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** One charge against a project's budget (append-only), for the audit trail. */
@Entity({ schema: 'query', name: 'privacy_charge' })
@Index(['projectId', 'createdAt'])
export class PrivacyBudgetCharge {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  projectId!: string;

  @Column('uuid')
  partnerId!: string;

  @Column('uuid')
  releaseId!: string;

  @Column('text')
  cohortHash!: string;

  @Column('int')
  epsilonMilli!: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
