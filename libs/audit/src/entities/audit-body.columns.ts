import { Column } from 'typeorm';

/**
 * The columns of an audit entry as appended (`AuditBody`), shared by `audit.pending` and
 * `audit.entry` so the two tables cannot drift apart. Not an entity itself.
 */
export abstract class AuditBodyColumns {
  @Column({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'text' })
  action!: string;

  @Column({ type: 'text' })
  outcome!: string;

  @Column({ type: 'text' })
  actorType!: string;

  @Column({ type: 'text', nullable: true })
  actorId!: string | null;

  @Column({ type: 'text', nullable: true })
  actorRole!: string | null;

  @Column({ type: 'text', nullable: true })
  actorOrgType!: string | null;

  @Column({ type: 'text', nullable: true })
  actorOrgId!: string | null;

  @Column({ type: 'text', nullable: true })
  targetType!: string | null;

  @Column({ type: 'text', nullable: true })
  targetId!: string | null;

  @Column({ type: 'text', nullable: true })
  projectId!: string | null;

  @Column({ type: 'text', nullable: true })
  trustId!: string | null;

  @Column({ type: 'text', nullable: true })
  correlationId!: string | null;

  @Column({ type: 'text', nullable: true })
  traceId!: string | null;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;
}
