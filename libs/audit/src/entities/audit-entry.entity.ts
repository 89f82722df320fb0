import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One entry of the hash-chained audit trail (`audit.entry`). Append-only: a trigger refuses
 * UPDATE, DELETE and TRUNCATE. `seq` is gap-free (assigned under the chain-head row lock).
 * Columns mirror `AuditRecord`; `bigint` comes back from pg as a string.
 */
@Entity({ schema: 'audit', name: 'entry' })
@Index(['at'])
@Index(['action', 'seq'])
@Index(['actorId', 'seq'])
@Index(['projectId', 'seq'])
@Index(['trustId', 'seq'])
export class AuditEntry {
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

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

  @Column({ type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}
