import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type BatchKind = 'fhir' | 'csv' | 'dicom';
export type BatchStatus = 'receiving' | 'queued' | 'running' | 'completed' | 'failed';

/** An ingestion batch: one extract (folder or upload) from one trust, processed as a queued job. */
@Entity({ schema: 'ingestion', name: 'batch' })
@Index(['trustId', 'createdAt'])
export class IngestionBatch {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column('text')
  kind!: BatchKind;

  @Column('text')
  status!: BatchStatus;

  /** Object-store prefix or local folder of the extract. */
  @Column('text')
  source!: string;

  @Column({ type: 'int', default: 0 })
  recordsSeen!: number;

  @Column({ type: 'int', default: 0 })
  recordsAccepted!: number;

  @Column({ type: 'int', default: 0 })
  recordsUnchanged!: number;

  @Column({ type: 'int', default: 0 })
  recordsRejected!: number;

  @Column({ type: 'text', nullable: true })
  failureReason!: string | null;

  @Column({ type: 'text', nullable: true })
  submittedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
