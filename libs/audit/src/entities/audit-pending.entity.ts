import { Entity, PrimaryGeneratedColumn } from 'typeorm';
import { AuditBodyColumns } from './audit-body.columns.js';

/**
 * An audit entry appended in its caller's transaction and not yet chained (`audit.pending`).
 * Appending is a plain insert, so concurrent use cases never queue on the chain; the sealer
 * (`AuditLog.seal`, run after each commit, on a sweep and before every read of the trail)
 * deletes committed rows from here and inserts them, chained, into `audit.entry` in one
 * transaction. Triggers refuse UPDATE and TRUNCATE; only the sealer deletes.
 */
@Entity({ schema: 'audit', name: 'pending' })
export class AuditPending extends AuditBodyColumns {
  /** Becomes `audit.entry.id`; gaps are normal (rolled-back transactions), `seq` has none. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;
}
