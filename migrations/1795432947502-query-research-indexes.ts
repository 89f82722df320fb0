import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hand-written (TypeORM cannot express INCLUDE): covering indexes for cohort queries
 * (libs/query). Declared on the research entities with `synchronize: false`, so the drift check
 * neither drops nor recreates them.
 *
 * - event (kind, code, event_date) INCLUDE (code_system, person_id, trust_id, value_num): every
 *   event criterion filters on kind + code (+ date range) and needs only these columns, so the
 *   two sides of a temporal relation are index-only scans hash-joined on person_id, instead of
 *   one random heap read per matching event (the dominant cost at 30 million events).
 * - patient (person_id) INCLUDE (trust_id, birth_year, sex, district): the cohort's person set
 *   is joined back to patient rows by person_id and filtered on demographics, index-only.
 */
export class QueryResearchIndexes1795432947502 implements MigrationInterface {
  name = 'QueryResearchIndexes1795432947502';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX "IDX_research_event_cohort" ON "research"."event" ("kind", "code", "event_date") INCLUDE ("code_system", "person_id", "trust_id", "value_num")`,
    );
    await q.query(
      `CREATE INDEX "IDX_research_patient_cohort" ON "research"."patient" ("person_id") INCLUDE ("trust_id", "birth_year", "sex", "district")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "research"."IDX_research_patient_cohort"`);
    await q.query(`DROP INDEX "research"."IDX_research_event_cohort"`);
  }
}
