import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import type { ProjectedEvent, ProjectedPatient } from './research-projection.js';

/** The only SQL writing the research store; every method is scoped by trust. */
@Injectable()
export class ResearchRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async upsertPatients(trustId: string, rows: readonly (ProjectedPatient & { personId: string })[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO research.patient (trust_id, person_id, birth_year, sex, district, deceased)
       SELECT $1, * FROM unnest($2::uuid[], $3::smallint[], $4::text[], $5::text[], $6::boolean[])
       ON CONFLICT (trust_id, person_id) DO UPDATE SET birth_year = EXCLUDED.birth_year, sex = EXCLUDED.sex,
         district = EXCLUDED.district, deceased = EXCLUDED.deceased`,
      [
        trustId,
        rows.map((r) => r.personId),
        rows.map((r) => r.birthYear),
        rows.map((r) => r.sex),
        rows.map((r) => r.district),
        rows.map((r) => r.deceased),
      ],
    );
  }

  /**
   * Replace the events of changed records (delete then insert: re-ingestion never duplicates).
   * A record inserted in the same transaction (`recordIsNew`) has no events to delete, which spares
   * a bulk ingest one index probe per record.
   */
  async replaceEvents(
    trustId: string,
    rows: readonly { recordId: string; personId: string; events: readonly ProjectedEvent[]; recordIsNew?: boolean }[],
  ): Promise<void> {
    if (rows.length === 0) return;
    const replaced = rows.filter((r) => !r.recordIsNew).map((r) => r.recordId);
    if (replaced.length > 0) {
      await this.db.query(`DELETE FROM research.event WHERE trust_id = $1 AND record_id = ANY($2::uuid[])`, [trustId, replaced]);
    }
    const personIds: string[] = [];
    const recordIds: string[] = [];
    const kinds: string[] = [];
    const systems: string[] = [];
    const codes: string[] = [];
    const dates: (string | null)[] = [];
    const values: (number | null)[] = [];
    const units: (string | null)[] = [];
    for (const r of rows) {
      for (const e of r.events) {
        personIds.push(r.personId);
        recordIds.push(r.recordId);
        kinds.push(e.kind);
        systems.push(e.codeSystem);
        codes.push(e.code);
        dates.push(e.eventDate);
        values.push(e.valueNum);
        units.push(e.unit);
      }
    }
    if (kinds.length === 0) return;
    await this.db.query(
      `INSERT INTO research.event (trust_id, person_id, record_id, kind, code_system, code, event_date, value_num, unit)
       SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::date[], $8::float8[], $9::text[])`,
      [trustId, personIds, recordIds, kinds, systems, codes, dates, values, units],
    );
  }

  /**
   * Remove persons from the research store (an opt-out or withdrawal): their facts vanish for
   * every trust at once. The vault keeps the trust's own records.
   */
  async removePersons(personIds: readonly string[]): Promise<number> {
    if (personIds.length === 0) return 0;
    await this.db.query(`DELETE FROM research.event WHERE person_id = ANY($1::uuid[])`, [personIds]);
    const res = await this.db.query<{ person_id: string }>(
      `DELETE FROM research.patient WHERE person_id = ANY($1::uuid[]) RETURNING person_id`,
      [personIds],
    );
    return res.length;
  }
}
