import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Agreement } from './agreement.entity.js';
import { Period } from './period.entity.js';

/**
 * A metered billable action, recorded exactly once (the idempotency key is unique), with the audit
 * entry that proves it, the agreement version that priced it and the period it was posted in.
 * Amounts are integer pence; `trustSharePence` is the trusts' share, the rest is station revenue.
 */
@Entity({ schema: 'ledger', name: 'billable_event' })
@Index(['partnerId', 'periodId'])
@Index(['periodId'])
@Index(['projectId', 'occurredAt'])
@Check(
  'CHK_ledger_billable_event_amounts',
  `"quantity" >= 0 AND "unit_price_pence" >= 0 AND "amount_pence" = "unit_price_pence" * "quantity" AND "trust_share_pence" BETWEEN 0 AND "amount_pence"`,
)
export class BillableEvent {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  idempotencyKey!: string;

  @Column('uuid')
  projectId!: string;

  @Column('uuid')
  partnerId!: string;

  @Column('uuid')
  agreementId!: string;

  @Column('text')
  kind!: string;

  @Column('bigint')
  quantity!: string;

  @Column('bigint')
  unitPricePence!: string;

  @Column('bigint')
  amountPence!: string;

  @Column('bigint')
  trustSharePence!: string;

  @Column('text')
  currency!: string;

  @Column('timestamptz')
  occurredAt!: Date;

  /** The period the postings are dated in: the event's month, or the next open one if that closed. */
  @Column('text')
  periodId!: string;

  /** `audit.entry.id` of the audited action that proves the event (known in the action's own transaction). */
  @Column('bigint')
  auditEntryId!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  recordedAt!: Date;

  @ManyToOne(() => Agreement, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agreement_id' })
  agreement?: Agreement;

  @ManyToOne(() => Period, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'period_id' })
  period?: Period;
}
