import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Account } from './account.entity.js';
import { Journal } from './journal.entity.js';

/**
 * One side of a posting: a debit or a credit (exactly one is non-zero) of integer pence to an
 * account, in a currency. A deferred constraint trigger checks at commit that each journal's
 * debits equal its credits per currency.
 */
@Entity({ schema: 'ledger', name: 'line' })
@Index(['journalId'])
@Index(['accountId'])
@Check('CHK_ledger_line_one_side', `"debit_pence" >= 0 AND "credit_pence" >= 0 AND ("debit_pence" = 0) <> ("credit_pence" = 0)`)
export class JournalLine {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('uuid')
  journalId!: string;

  @Column('uuid')
  accountId!: string;

  @Column('text')
  currency!: string;

  @Column('bigint')
  debitPence!: string;

  @Column('bigint')
  creditPence!: string;

  @ManyToOne(() => Journal, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'journal_id' })
  journal?: Journal;

  @ManyToOne(() => Account, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'account_id' })
  account?: Account;
}
