import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A study consent decision from a FHIR R4 Consent resource (provision.type permit | deny). */
@Entity({ schema: 'consent', name: 'study_consent' })
@Index(['trustId', 'sourceId'], { unique: true })
@Index(['personId'])
export class StudyConsent {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column('uuid')
  personId!: string;

  @Column('text')
  sourceId!: string;

  /** permit or deny. */
  @Column('text')
  decision!: 'permit' | 'deny';

  /** Project id or purpose code the consent concerns; null = any research use. */
  @Column({ type: 'text', nullable: true })
  scope!: string | null;

  @Column({ type: 'date', nullable: true })
  periodStart!: string | null;

  @Column({ type: 'date', nullable: true })
  periodEnd!: string | null;

  @Column('text')
  status!: string;
}
