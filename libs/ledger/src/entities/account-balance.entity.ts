import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Account } from './account.entity.js';
import { Period } from './period.entity.js';

/**
 * An account's movement in a period, written once when the period closes. Balances are not kept
 * on a hot row during the period (every posting would queue on the station revenue account);
 * this snapshot lets reconciliation prove later that the closed books still sum to what was closed.
 */
@Entity({ schema: 'ledger', name: 'account_balance' })
export class AccountBalance {
  @PrimaryColumn('text')
  periodId!: string;

  @PrimaryColumn('uuid')
  accountId!: string;

  @Column('bigint')
  debitPence!: string;

  @Column('bigint')
  creditPence!: string;

  @Column('bigint')
  lineCount!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @ManyToOne(() => Period, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'period_id' })
  period?: Period;

  @ManyToOne(() => Account, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;
}
