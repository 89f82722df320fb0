import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A file received into an upload batch (stored encrypted in the object store). */
@Entity({ schema: 'ingestion', name: 'batch_file' })
export class IngestionBatchFile {
  @PrimaryColumn('uuid')
  batchId!: string;

  @PrimaryColumn('text')
  name!: string;

  @Column('bigint')
  bytes!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  receivedAt!: Date;
}
