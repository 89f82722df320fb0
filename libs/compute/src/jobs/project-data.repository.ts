import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';

/**
 * Who a run may read, per trust: fixed at run start from the project's scope. Every statement of
 * this repository takes it, and applies it in SQL: the trust, never an opted-out person (any
 * `consent.opt_out` row for the person's NHS-number blind index, any kind, any trust), and, where
 * the trust's approval requires it, only persons with a study consent permit in force for the
 * project (the rule of `@harbour/query`'s scope filter: a later deny wins, a tie goes to deny).
 */
export interface TrustReadScope {
  readonly projectId: string;
  readonly trustId: string;
  readonly requireStudyConsent: boolean;
  /** Day the consent must be in force (`YYYY-MM-DD`, the run's start). */
  readonly asOf: string;
}

export interface CohortRow {
  person_id: string;
  sex: string;
  birth_year: number | null;
  district: string | null;
  identity_enc: Buffer;
}

export interface RecordRow {
  source_id: string;
  /** Null for resources outside any patient's compartment (Practitioner, Organization, Medication). */
  person_id: string | null;
  content_enc: Buffer;
}

/** Eligibility of the person `${p}.person_id` under a scope whose parameters are $1 (trust), $2 (project), $3 (consent required), $4 (as of). */
function eligible(p: string): string {
  const inForce = (s: string): string =>
    `${s}.status = 'active' AND (${s}.scope IS NULL OR ${s}.scope = $2::text) ` +
    `AND (${s}.period_start IS NULL OR ${s}.period_start <= $4::date) AND (${s}.period_end IS NULL OR ${s}.period_end >= $4::date)`;
  return (
    `NOT EXISTS (SELECT 1 FROM consent.person cp JOIN consent.opt_out oo ON oo.nhs_bidx = cp.nhs_bidx WHERE cp.id = ${p}) ` +
    `AND (NOT $3::boolean OR EXISTS (SELECT 1 FROM consent.study_consent sp WHERE sp.person_id = ${p} AND sp.decision = 'permit' AND ${inForce('sp')} ` +
    `AND NOT EXISTS (SELECT 1 FROM consent.study_consent sd WHERE sd.person_id = sp.person_id AND sd.decision = 'deny' AND ${inForce('sd')} ` +
    `AND COALESCE(sd.period_start, '-infinity'::date) >= COALESCE(sp.period_start, '-infinity'::date))))`
  );
}

const scopeParams = (s: TrustReadScope): unknown[] => [s.trustId, s.projectId, s.requireStudyConsent, s.asOf];

/**
 * The SQL behind a job's data source. Keyset pagination on each table's unique index (trust,
 * person) / (trust, type, source id), so every page is an index range scan and nothing is ever
 * loaded whole. The consent filter runs on every page: a person who opts out during a run is
 * left out of the pages read after that.
 */
@Injectable()
export class ProjectDataRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /** A page of the trust's research patients, with the vault identity blob (for the pseudonym). */
  async cohortPage(scope: TrustReadScope, afterPersonId: string | null, limit: number): Promise<CohortRow[]> {
    return this.db.query<CohortRow>(
      `SELECT rp.person_id, rp.sex, rp.birth_year, rp.district, vp.identity_enc FROM research.patient rp ` +
        `CROSS JOIN LATERAL (SELECT v.identity_enc FROM vault.patient v WHERE v.trust_id = rp.trust_id AND v.person_id = rp.person_id ORDER BY v.id LIMIT 1) vp ` +
        `WHERE rp.trust_id = $1 AND ($5::uuid IS NULL OR rp.person_id > $5::uuid) AND ${eligible('rp.person_id')} ORDER BY rp.person_id LIMIT $6`,
      [...scopeParams(scope), afterPersonId, limit],
    );
  }

  /** A page of the trust's stored `Patient` resources (vault.patient). */
  async patientResourcePage(scope: TrustReadScope, afterSourceId: string | null, limit: number): Promise<RecordRow[]> {
    return this.db.query<RecordRow>(
      `SELECT v.source_id, v.person_id, v.identity_enc AS content_enc FROM vault.patient v ` +
        `WHERE v.trust_id = $1 AND ($5::text IS NULL OR v.source_id > $5::text) AND ${eligible('v.person_id')} ORDER BY v.source_id LIMIT $6`,
      [...scopeParams(scope), afterSourceId, limit],
    );
  }

  /** A page of the trust's stored resources of one type (vault.record). */
  async recordPage(scope: TrustReadScope, resourceType: string, afterSourceId: string | null, limit: number): Promise<RecordRow[]> {
    return this.db.query<RecordRow>(
      `SELECT r.source_id, vp.person_id, r.content_enc FROM vault.record r LEFT JOIN vault.patient vp ON vp.id = r.patient_id ` +
        `WHERE r.trust_id = $1 AND r.resource_type = $5 AND ($6::text IS NULL OR r.source_id > $6::text) ` +
        `AND (r.patient_id IS NULL OR ${eligible('vp.person_id')}) ORDER BY r.source_id LIMIT $7`,
      [...scopeParams(scope), resourceType, afterSourceId, limit],
    );
  }

  /** Patients (research store rows) a run over this trust may see: provenance. */
  async countPatients(scope: TrustReadScope): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM research.patient rp WHERE rp.trust_id = $1 AND ${eligible('rp.person_id')}`,
      scopeParams(scope),
    );
    return row?.n ?? 0;
  }

  /** Records of the approved types a run over this trust may see: provenance. */
  async countRecords(scope: TrustReadScope, resourceTypes: readonly string[]): Promise<number> {
    if (resourceTypes.length === 0) return 0;
    const [row] = await this.db.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM vault.record r LEFT JOIN vault.patient vp ON vp.id = r.patient_id WHERE r.trust_id = $1 AND r.resource_type = ANY($5::text[]) ` +
        `AND (r.patient_id IS NULL OR ${eligible('vp.person_id')})) + ` +
        `(SELECT count(*) FROM vault.patient v WHERE 'Patient' = ANY($5::text[]) AND v.trust_id = $1 AND ${eligible('v.person_id')}))::int AS n`,
      [...scopeParams(scope), resourceTypes],
    );
    return row?.n ?? 0;
  }
}
