import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { BillableEvent } from './billable-event.entity.js';

/** A trust's contribution to a billable event at the time (patients) and the share it earned. */
@Entity({ schema: 'ledger', name: 'event_contribution' })
@Index(['trustId'])
@Check('CHK_ledger_event_contribution_values', `"patients" >= 0 AND "share_pence" >= 0`)
export class EventContribution {
  @PrimaryColumn('uuid')
  billableEventId!: string;

  @PrimaryColumn('uuid')
  trustId!: string;

  @Column('bigint')
  patients!: string;

  @Column('bigint')
  sharePence!: string;

  @ManyToOne(() => BillableEvent, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'billable_event_id' })
  billableEvent?: BillableEvent;
}
