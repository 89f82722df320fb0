import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Queries of one shape (cohort with its numbers and dates masked) per partner per fixed window.
 * In PostgreSQL so the limit holds across API processes.
 */
@Entity({ schema: 'query', name: 'rate_counter' })
export class QueryRateCounter {
  @PrimaryColumn('uuid')
  partnerId!: string;

  @PrimaryColumn('text')
  shapeHash!: string;

  @PrimaryColumn('timestamptz')
  windowStart!: Date;

  @Column('int')
  count!: number;
}
