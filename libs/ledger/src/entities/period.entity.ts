import { Check, Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * An accounting period (a UTC calendar month, `YYYY-MM`). The only ledger row that changes, and
 * only once: a trigger allows `open → closed` and nothing else, refuses a new period before a
 * closed one, and journals cannot be inserted into a closed period.
 */
@Entity({ schema: 'ledger', name: 'period' })
@Check('CHK_ledger_period_status', `"status" IN ('open', 'closed')`)
export class Period {
  @PrimaryColumn('text')
  id!: string;

  @Column('date')
  startsOn!: string;

  /** Exclusive: the first day of the next period. */
  @Column('date')
  endsOn!: string;

  @Column('text')
  status!: 'open' | 'closed';

  @Column({ type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  closedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
