import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A trust's imaging study as received. `studyUid` is the original Study Instance UID (identifying:
 * never returned to partners, who only ever see the per-project replacement). No patient name or
 * id is stored: the patient is the consent `person` (NHS number blind index).
 */
@Entity({ schema: 'imaging', name: 'study' })
@Index(['trustId', 'studyUid'], { unique: true })
export class ImagingStudy {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column('text')
  studyUid!: string;

  @Column({ type: 'uuid', nullable: true })
  personId!: string | null;

  /** Study Date as received (never returned; partners see it shifted per project). */
  @Column({ type: 'date', nullable: true })
  studyDate!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
