import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A guardian's review of an output for their trust, bound to the sha-256 of the bytes reviewed. */
@Entity({ schema: 'compute', name: 'output_review' })
@Index(['outputId', 'reviewerId'], { unique: true })
export class OutputReview {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  outputId!: string;

  @Column('uuid')
  trustId!: string;

  @Column('text')
  reviewerId!: string;

  @Column('text')
  decision!: 'approve' | 'reject';

  /** The guardian's reason (shown to the partner with a rejection; never copied to the audit trail). */
  @Column('text')
  reason!: string;

  /** sha-256 of the output bytes this review is about: an approval counts only for these bytes. */
  @Column('text')
  sha256!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
