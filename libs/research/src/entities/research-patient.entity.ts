import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * De-identified patient facts for cohort queries: generalised quasi-identifiers only
 * (birth year, sex, postcode district). One row per trust and person, so counts by trust work
 * and a person known to two trusts is still one person overall.
 */
@Entity({ schema: 'research', name: 'patient' })
@Index(['personId'])
// Covering index for cohort queries, created by migrations/*-query-research-indexes.ts (INCLUDE columns, which TypeORM cannot express).
@Index('IDX_research_patient_cohort', { synchronize: false })
export class ResearchPatient {
  @PrimaryColumn('uuid')
  trustId!: string;

  @PrimaryColumn('uuid')
  personId!: string;

  @Column({ type: 'smallint', nullable: true })
  birthYear!: number | null;

  /** FHIR administrative gender: male | female | other | unknown. */
  @Column('text')
  sex!: string;

  @Column({ type: 'text', nullable: true })
  district!: string | null;

  @Column({ type: 'boolean', default: false })
  deceased!: boolean;
}
