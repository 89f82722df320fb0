import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type InstanceStatus = 'available' | 'quarantined' | 'held' | 'rejected';

/**
 * One stored SOP instance of a trust. The original file is in object storage under `objectKey`,
 * sealed with the trust's data key; `nhsEnc` is the patient's NHS number encrypted with the same
 * key (needed to pseudonymise at retrieval when the file itself does not carry it). Idempotency:
 * one row per (trust, SOP Instance UID).
 */
@Entity({ schema: 'imaging', name: 'instance' })
@Index(['trustId', 'sopInstanceUid'], { unique: true })
@Index(['trustId', 'status'])
@Index(['seriesId'])
@Index(['personId'])
export class ImagingInstance {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column('uuid')
  studyId!: string;

  @Column('uuid')
  seriesId!: string;

  @Column('text')
  sopInstanceUid!: string;

  @Column({ type: 'text', nullable: true })
  sopClassUid!: string | null;

  @Column('text')
  transferSyntaxUid!: string;

  @Column({ type: 'int', nullable: true })
  instanceNumber!: number | null;

  @Column({ type: 'int', nullable: true })
  numberOfFrames!: number | null;

  @Column({ type: 'uuid', nullable: true })
  personId!: string | null;

  @Column({ type: 'bytea', nullable: true })
  nhsEnc!: Buffer | null;

  /** available | quarantined | held | rejected (transition table in instance-workflow.ts). */
  @Column('text')
  status!: InstanceStatus;

  /** Why it is not available: a quarantine or hold reason code. */
  @Column({ type: 'text', nullable: true })
  statusReason!: string | null;

  /** A burned-in-text (or similar) finding, kept after a guardian released the instance. */
  @Column({ type: 'text', nullable: true })
  quarantineReason!: string | null;

  @Column({ type: 'text', nullable: true })
  objectKey!: string | null;

  @Column('bigint')
  bytes!: string;

  /** Keyed MAC of the original bytes (tells a re-send of the same file from a different one). */
  @Column('text')
  contentMac!: string;

  @Column({ type: 'uuid', nullable: true })
  batchId!: string | null;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ type: 'text', nullable: true })
  reviewedBy!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  reviewedAt!: Date | null;

  /** The guardian's reason for a release or rejection (their words, never patient data). */
  @Column({ type: 'text', nullable: true })
  reviewNote!: string | null;
}
