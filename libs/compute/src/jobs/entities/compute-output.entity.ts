import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { OutputStatus } from '../job-workflow.js';

/**
 * One output of a succeeded job, in the airlock. The bytes are in object storage under
 * `objectKey`; `sha256` binds every review to exactly these bytes. `trustIds` are the trusts
 * whose data the job read: a guardian of each must approve before release.
 */
@Entity({ schema: 'compute', name: 'output' })
@Index(['jobId', 'name'], { unique: true })
@Index(['projectId', 'status'])
@Index(['status'])
export class ComputeOutput {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  jobId!: string;

  @Column('uuid')
  projectId!: string;

  @Column('uuid')
  partnerId!: string;

  @Column('text')
  name!: string;

  @Column('text')
  kind!: string;

  @Column('text')
  mime!: string;

  @Column('bigint')
  sizeBytes!: string;

  @Column('text')
  sha256!: string;

  /** Null once purged (withdrawn outputs). */
  @Column({ type: 'text', nullable: true })
  objectKey!: string | null;

  /** The airlock's automatic findings (`checkOutput`). */
  @Column('jsonb')
  findings!: unknown;

  @Column({ type: 'text', nullable: true })
  worstSeverity!: string | null;

  @Column('text')
  status!: OutputStatus;

  @Column('uuid', { array: true })
  trustIds!: string[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  decidedAt!: Date | null;
}
