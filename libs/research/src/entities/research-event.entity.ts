import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type EventKind = 'condition' | 'observation' | 'medication' | 'procedure' | 'encounter' | 'imaging';

/**
 * A coded clinical event for cohort queries: kind, code, date, optional numeric value.
 * `recordId` ties it to its vault record so re-ingestion replaces, never duplicates.
 */
@Entity({ schema: 'research', name: 'event' })
// No plain (kind, code, event_date) index: the covering cohort index below has the same keys, so
// the plain one only cost every inserted event a fifth index entry.
@Index(['personId', 'kind'])
@Index(['recordId'])
// Covering index for cohort queries, created by migrations/*-query-research-indexes.ts (INCLUDE columns, which TypeORM cannot express).
@Index('IDX_research_event_cohort', { synchronize: false })
export class ResearchEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('uuid')
  trustId!: string;

  @Column('uuid')
  personId!: string;

  @Column('uuid')
  recordId!: string;

  @Column('text')
  kind!: EventKind;

  @Column('text')
  codeSystem!: string;

  @Column('text')
  code!: string;

  @Column({ type: 'date', nullable: true })
  eventDate!: string | null;

  @Column({ type: 'double precision', nullable: true })
  valueNum!: number | null;

  @Column({ type: 'text', nullable: true })
  unit!: string | null;
}
