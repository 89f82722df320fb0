import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A trust's airlock settings; absent row = one reviewer. */
@Entity({ schema: 'compute', name: 'airlock_policy' })
export class AirlockPolicy {
  @PrimaryColumn('uuid')
  trustId!: string;

  /** Distinct guardians of the trust who must approve an output (1, or 2 for an independent second review). */
  @Column({ type: 'int', default: 1 })
  reviewersRequired!: number;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
