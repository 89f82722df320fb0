import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An audit entry appended in its caller's transaction and not yet chained (`audit.pending`).
 * Appending is a plain insert, so concurrent use cases never queue on the chain; the sealer
 * (`AuditLog.seal`, run after each commit, on a sweep and before every read of the trail)
 * deletes committed rows from here and inserts them, chained, into `audit.entry` in one
 * transaction. Triggers refuse UPDATE and TRUNCATE; only the sealer deletes.
 */
@Entity({ schema: 'audit', name: 'pending' })
export class AuditPending {
  /** Becomes `audit.entry.id`; gaps are normal (rolled-back transactions), `seq` has none. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

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
