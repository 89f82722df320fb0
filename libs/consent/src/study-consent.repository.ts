import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';

export interface StudyConsentUpsert {
  personId: string;
  sourceId: string;
  decision: 'permit' | 'deny';
  scope: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  status: string;
}

@Injectable()
export class StudyConsentRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async upsert(trustId: string, rows: readonly StudyConsentUpsert[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO consent.study_consent (trust_id, person_id, source_id, decision, scope, period_start, period_end, status)
       SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::date[], $7::date[], $8::text[])
       ON CONFLICT (trust_id, source_id) DO UPDATE SET person_id = EXCLUDED.person_id, decision = EXCLUDED.decision,
         scope = EXCLUDED.scope, period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end, status = EXCLUDED.status`,
      [
        trustId,
        rows.map((r) => r.personId),
        rows.map((r) => r.sourceId),
        rows.map((r) => r.decision),
        rows.map((r) => r.scope),
        rows.map((r) => r.periodStart),
        rows.map((r) => r.periodEnd),
        rows.map((r) => r.status),
      ],
    );
  }
}
