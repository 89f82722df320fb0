import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The per-project view of an instance: its de-identified UIDs, the patient's pseudonym and the
 * shifted study date, computed forward from the originals with the project's keys (the same
 * values the de-identifier writes into the file). QIDO-RS searches and WADO-RS lookups by
 * de-identified UID run on this table; it holds nothing identifying.
 */
@Entity({ schema: 'imaging', name: 'project_instance' })
@Index(['projectId', 'deidSopUid'], { unique: true })
@Index(['projectId', 'deidStudyUid'])
@Index(['projectId', 'pseudonym'])
@Index(['projectId', 'trustId'])
export class ProjectInstance {
  @PrimaryColumn('uuid')
  projectId!: string;

  @PrimaryColumn('uuid')
  instanceId!: string;

  @Column('uuid')
  trustId!: string;

  @Column('text')
  deidStudyUid!: string;

  @Column('text')
  deidSeriesUid!: string;

  @Column('text')
  deidSopUid!: string;

  @Column('text')
  pseudonym!: string;

  @Column({ type: 'date', nullable: true })
  studyDate!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;
}
