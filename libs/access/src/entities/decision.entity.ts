import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ApprovalConditions } from './request-trust.entity.js';

export type DecisionKind = 'approve' | 'reject' | 'request_changes';

/** One guardian's decision for their trust, with reasons the partner sees. Append-only. */
@Entity({ schema: 'access', name: 'decision' })
@Index(['requestId', 'trustId'])
export class Decision {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  requestId!: string;

  @Column('uuid')
  trustId!: string;

  @Column('text')
  guardianId!: string;

  @Column('text')
  decision!: DecisionKind;

  @Column('text')
  reason!: string;

  @Column('jsonb', { default: {} })
  conditions!: ApprovalConditions;

  @Column({ type: 'timestamptz', nullable: true })
  endDate!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
