import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { RequestStatus } from '../workflow.js';

export interface RequestedData {
  /** FHIR resource types (data classes) requested, e.g. ["Patient","Condition","Observation"]. */
  ehrResourceTypes: string[];
  /** DICOM modalities requested, e.g. ["CT","MR"]; empty = no imaging. */
  imagingModalities: string[];
}

export interface DeidSelection {
  /** EHR profile id and DICOM Annex E options chosen for the project. */
  ehrProfile: string;
  dicomOptions: string[];
}

/**
 * A data access request; once approved it is the project (same id). Holds what the partner
 * asked for and why. Free text here (purpose, lay summary) is the partner's own text about the
 * study, never patient data.
 */
@Entity({ schema: 'access', name: 'request' })
@Index(['partnerId', 'status'])
export class AccessRequest {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  partnerId!: string;

  @Column('text')
  createdBy!: string;

  @Column('text')
  title!: string;

  @Column('text')
  purpose!: string;

  @Column('text')
  laySummary!: string;

  /** UK GDPR Article 6(1) basis, e.g. "6(1)(e)". */
  @Column('text')
  legalBasisArt6!: string;

  /** UK GDPR Article 9(2) condition, e.g. "9(2)(j)". */
  @Column('text')
  legalBasisArt9!: string;

  @Column('boolean')
  commercialUse!: boolean;

  /** GA4GH Data Use Ontology codes for the intended use, e.g. ["DUO:0000007"]. */
  @Column('text', { array: true })
  duoCodes!: string[];

  @Column('jsonb')
  requestedData!: RequestedData;

  @Column('jsonb')
  deidentification!: DeidSelection;

  @Column('int')
  requestedDurationDays!: number;

  /** User and client ids of the partner who will use the project. */
  @Column('text', { array: true })
  members!: string[];

  @Column('text')
  status!: RequestStatus;

  /** Why the project ended (revoked, expired, closed), shown to the partner. */
  @Column({ type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  submittedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}
