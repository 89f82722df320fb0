import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A ledger account: partner receivable (one per partner), trust payable (one per trust), station
 * revenue (one). `ownerId` is the partner or trust id, the nil UUID for the station. The id is a
 * name-based UUID of (kind, owner, currency), so writers never need to look an account up.
 */
@Entity({ schema: 'ledger', name: 'account' })
@Index(['kind', 'ownerId', 'currency'], { unique: true })
@Check('CHK_ledger_account_kind', `"kind" IN ('partner_receivable', 'trust_payable', 'station_revenue')`)
export class Account {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  kind!: string;

  @Column('uuid')
  ownerId!: string;

  @Column('text')
  currency!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
