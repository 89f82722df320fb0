import { Column, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A trust's record of a patient. Direct identifiers (NHS number, names, address, telecom, full
 * date of birth, local record numbers) are only inside `identityEnc`, encrypted under the trust's
 * data key. `personId` links the same person across trusts (via the NHS number blind index).
 */
@Entity({ schema: 'vault', name: 'patient' })
@Index(['trustId', 'sourceId'], { unique: true })
@Index(['personId'])
export class VaultPatient {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column('uuid')
  personId!: string;

  /** The id the trust's system uses (FHIR Patient.id, or the CSV row key). */
  @Column('text')
  sourceId!: string;

  @Column('bytea')
  identityEnc!: Buffer;

  @Column('text')
  contentHash!: string;

  @Column('uuid')
  batchId!: string;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
