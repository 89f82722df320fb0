import { Column, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * One identifiable source record (a FHIR resource as received, or a CSV event row converted to
 * FHIR), encrypted whole under the trust's data key. Unique per trust, type and source id, so
 * re-ingesting the same extract updates in place and never duplicates.
 */
@Entity({ schema: 'vault', name: 'record' })
@Index(['trustId', 'resourceType', 'sourceId'], { unique: true })
@Index(['patientId'])
export class VaultRecord {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column({ type: 'uuid', nullable: true })
  patientId!: string | null;

  @Column('text')
  resourceType!: string;

  @Column('text')
  sourceId!: string;

  @Column('bytea')
  contentEnc!: Buffer;

  @Column('text')
  contentHash!: string;

  @Column('uuid')
  batchId!: string;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
