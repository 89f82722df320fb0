import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { AuditBodyColumns } from './audit-body.columns.js';

/**
 * One sealed entry of the hash-chained audit trail (`audit.entry`). Append-only: a trigger
 * refuses UPDATE, DELETE and TRUNCATE. `seq` is the gap-free chain position, assigned when the
 * sealer moves the entry out of `audit.pending` under the chain-head lock; `id` is the entry's
 * identity from the moment it was appended in its caller's transaction (what the ledger and
 * other records point at). Columns mirror `AuditRecord`; `bigint` comes back from pg as a string.
 */
@Entity({ schema: 'audit', name: 'entry' })
@Index(['at'])
@Index(['action', 'seq'])
@Index(['actorId', 'seq'])
@Index(['projectId', 'seq'])
@Index(['trustId', 'seq'])
export class AuditEntry extends AuditBodyColumns {
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  /** Null only for entries sealed before append ids existed (their hashes do not cover one). */
  @Index({ unique: true })
  @Column({ type: 'bigint', nullable: true })
  id!: string | null;

  @Column({ type: 'char', length: 64 })
  prevHash!: string;

  @Column({ type: 'char', length: 64 })
  hash!: string;
}
