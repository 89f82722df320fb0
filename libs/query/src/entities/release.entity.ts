import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A result released to a partner: what was released (after disclosure control, safe to show an
 * auditor) and, internally, the cohort's true size and person-set sketch for the differencing
 * defence. Never returned by any API: the sketch and `personCount` are not disclosure-controlled.
 */
@Entity({ schema: 'query', name: 'release' })
@Index(['partnerId', 'personCount'])
export class QueryRelease {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  partnerId!: string;

  @Column({ type: 'uuid', nullable: true })
  projectId!: string | null;

  /** sha-256 (hex) of the canonical cohort JSON. */
  @Column('text')
  cohortHash!: string;

  @Column('jsonb')
  canonicalCohort!: unknown;

  /** The request around the cohort: kind (feasibility | aggregate), breakdowns, statistic, privacy. */
  @Column('jsonb')
  request!: unknown;

  /** The released, disclosure-controlled result. */
  @Column('jsonb')
  released!: unknown;

  /** True number of distinct persons in the cohort (internal). */
  @Column('int')
  personCount!: number;

  /** 2048-bucket count/XOR sketch of the person set (differencing/cohort-sketch.ts). */
  @Column('bytea')
  sketch!: Buffer;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
