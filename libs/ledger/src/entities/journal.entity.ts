import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { BillableEvent } from './billable-event.entity.js';
import { Period } from './period.entity.js';

/**
 * A posting (journal entry): a set of lines whose debits equal their credits, dated in a period.
 * `event` journals post a billable event (at most one per event); `reversal` journals mirror
 * another journal (at most one reversal per journal); `adjustment` journals are manual.
 * Append-only: corrections are reversals, never edits.
 */
@Entity({ schema: 'ledger', name: 'journal' })
@Index(['periodId'])
@Check('CHK_ledger_journal_kind', `"kind" IN ('event', 'reversal', 'adjustment')`)
@Check(
  'CHK_ledger_journal_refs',
  `("kind" = 'event' AND "billable_event_id" IS NOT NULL AND "reverses_journal_id" IS NULL) OR ("kind" = 'reversal' AND "billable_event_id" IS NULL AND "reverses_journal_id" IS NOT NULL) OR ("kind" = 'adjustment' AND "billable_event_id" IS NULL AND "reverses_journal_id" IS NULL)`,
)
export class Journal {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  periodId!: string;

  @Column('text')
  kind!: string;

  @Column({ type: 'uuid', nullable: true, unique: true })
  billableEventId!: string | null;

  @Column({ type: 'uuid', nullable: true, unique: true })
  reversesJournalId!: string | null;

  @Column('text')
  description!: string;

  @Column({ type: 'text', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @ManyToOne(() => Period, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'period_id' })
  period?: Period;

  @ManyToOne(() => BillableEvent, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'billable_event_id' })
  billableEvent?: BillableEvent;

  @ManyToOne(() => Journal, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'reverses_journal_id' })
  reverses?: Journal;
}
