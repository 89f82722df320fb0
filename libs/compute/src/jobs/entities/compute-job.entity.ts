import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ComputeJobStatus } from '../job-workflow.js';

/**
 * A partner's compute job: the code as submitted (and its sha-256), parameters, declared outputs,
 * its state, the worker lease that proves it is alive while running, and its provenance.
 */
@Entity({ schema: 'compute', name: 'job' })
@Index(['projectId', 'createdAt'])
@Index(['status', 'leaseExpiresAt'])
export class ComputeJob {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  projectId!: string;

  @Column('uuid')
  partnerId!: string;

  /** Principal id of the submitter (a person or a machine client): never one of the reviewers. */
  @Column('text')
  submittedBy!: string;

  @Column('text')
  language!: 'js' | 'ts';

  @Column({ type: 'text', nullable: true })
  entry!: string | null;

  /** The module as submitted (at most 1 MiB, checked at submission). */
  @Column('text')
  code!: string;

  @Column('text')
  codeSha256!: string;

  @Column('jsonb')
  params!: unknown;

  /** Output names the job may write. */
  @Column('jsonb')
  declaredOutputs!: string[];

  @Column('text')
  status!: ComputeJobStatus;

  /** Trusts whose approval was in force at submission, then at the start of the latest run. */
  @Column('uuid', { array: true })
  scopeTrustIds!: string[];

  /** Sandbox failure code or a station code (worker_lost, project_not_active, internal_error). */
  @Column({ type: 'text', nullable: true })
  failure!: string | null;

  /** Host-written reason (never job data). */
  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  /** What the job's own code threw: may hold data, shown to guardians only. */
  @Column({ type: 'jsonb', nullable: true })
  guestError!: unknown;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'int', default: 3 })
  maxAttempts!: number;

  /** Worker holding the run (`host:pid:uuid`), while running. */
  @Column({ type: 'text', nullable: true })
  leaseOwner!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  leaseExpiresAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  heartbeatAt!: Date | null;

  /** Last time the job was handed to the queue (the sweeper re-sends queued jobs left behind). */
  @Column({ type: 'timestamptz' })
  enqueuedAt!: Date;

  @Column({ type: 'jsonb', nullable: true })
  provenance!: unknown;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
