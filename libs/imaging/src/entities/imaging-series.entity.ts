import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A series of a trust's study (original Series Instance UID; trust-scoped). */
@Entity({ schema: 'imaging', name: 'series' })
@Index(['trustId', 'seriesUid'], { unique: true })
@Index(['studyId'])
export class ImagingSeries {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column('uuid')
  studyId!: string;

  @Column('text')
  seriesUid!: string;

  @Column({ type: 'text', nullable: true })
  modality!: string | null;

  @Column({ type: 'int', nullable: true })
  seriesNumber!: number | null;
}
