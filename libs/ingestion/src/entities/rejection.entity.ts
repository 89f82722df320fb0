import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A refused record: where it was (file, 1-based physical line) and why. Never its content. */
@Entity({ schema: 'ingestion', name: 'rejection' })
@Index(['batchId'])
export class IngestionRejection {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('uuid')
  batchId!: string;

  @Column('uuid')
  trustId!: string;

  @Column('text')
  file!: string;

  @Column('int')
  line!: number;

  @Column('text')
  code!: string;

  @Column('text')
  message!: string;
}
