import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Agreement } from './agreement.entity.js';

/** A trust party to an agreement version, with its fixed weight (used by the `fixed` split). */
@Entity({ schema: 'ledger', name: 'agreement_trust' })
@Check('CHK_ledger_agreement_trust_weight', `"weight" >= 0`)
export class AgreementTrust {
  @PrimaryColumn('uuid')
  agreementId!: string;

  @PrimaryColumn('uuid')
  trustId!: string;

  @Column('bigint')
  weight!: string;

  @ManyToOne(() => Agreement, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'agreement_id' })
  agreement?: Agreement;
}
