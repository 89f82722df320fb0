import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import type { InstanceStatus } from './entities/imaging-instance.entity.js';

export interface NewInstance {
  id: string;
  trustId: string;
  studyId: string;
  seriesId: string;
  sopInstanceUid: string;
  sopClassUid: string | null;
  transferSyntaxUid: string;
  instanceNumber: number | null;
  numberOfFrames: number | null;
  personId: string | null;
  nhsEnc: Buffer | null;
  status: InstanceStatus;
  statusReason: string | null;
  quarantineReason: string | null;
  objectKey: string;
  bytes: number;
  contentMac: string;
  batchId: string | null;
}

export interface ExistingInstance {
  id: string;
  status: InstanceStatus;
  content_mac: string;
}

export interface ReviewRow {
  id: string;
  status: InstanceStatus;
  status_reason: string | null;
  quarantine_reason: string | null;
  sop_instance_uid: string;
  sop_class_uid: string | null;
  series_uid: string;
  study_uid: string;
  modality: string | null;
  bytes: string;
  received_at: Date;
  object_key: string | null;
}

export interface UnmappedRow {
  id: string;
  trust_id: string;
  nhs_enc: Buffer | null;
  sop_instance_uid: string;
  series_uid: string;
  study_uid: string;
  study_date: string | null;
}

export interface ProjectInstanceRow {
  projectId: string;
  instanceId: string;
  trustId: string;
  deidStudyUid: string;
  deidSeriesUid: string;
  deidSopUid: string;
  pseudonym: string;
  studyDate: string | null;
}

/** What a project may see right now (from `AccessService.activeScope`, checked per call). */
export interface EligibilityScope {
  readonly projectId: string;
  readonly trustIds: readonly string[];
  readonly modalities: readonly string[];
  /** Trusts whose approval requires a study consent permit for each patient. */
  readonly consentTrustIds: readonly string[];
}

export interface QidoFilter {
  studyUids?: readonly string[];
  seriesUids?: readonly string[];
  sopUids?: readonly string[];
  pseudonym?: string;
  studyDateFrom?: string;
  studyDateTo?: string;
  /** ModalitiesInStudy (study level) or Modality (series/instance level). */
  modalities?: readonly string[];
  limit: number;
  offset: number;
}

export interface StudyResult {
  deid_study_uid: string;
  pseudonym: string;
  study_date: string | null;
  modalities: string[];
  series: string;
  instances: string;
}
export interface SeriesResult {
  deid_study_uid: string;
  deid_series_uid: string;
  pseudonym: string;
  study_date: string | null;
  modality: string | null;
  series_number: number | null;
  instances: string;
}
export interface InstanceResult {
  deid_study_uid: string;
  deid_series_uid: string;
  deid_sop_uid: string;
  pseudonym: string;
  study_date: string | null;
  modality: string | null;
  series_number: number | null;
  sop_class_uid: string | null;
  instance_number: number | null;
  number_of_frames: number | null;
  transfer_syntax_uid: string;
}
export interface RetrievalRow extends InstanceResult {
  instance_id: string;
  trust_id: string;
  object_key: string;
  nhs_enc: Buffer | null;
  quarantine_reason: string | null;
  bytes: string;
}

/** Positional parameters for composed SQL. */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/**
 * The only SQL of the imaging context. Trust-owned rows are always addressed with their trust id;
 * project views always with the project id and the eligibility scope, so a query without the
 * tenant cannot be written here. The eligibility predicate reads the consent context's opt-out
 * and study-consent tables at request time (read-only), so an opt-out hides images at once.
 */
@Injectable()
export class ImagingRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async findInstance(trustId: string, sopInstanceUid: string): Promise<ExistingInstance | undefined> {
    const rows = await this.db.query<ExistingInstance>(
      `SELECT id, status, content_mac FROM imaging.instance WHERE trust_id = $1 AND sop_instance_uid = $2`,
      [trustId, sopInstanceUid],
    );
    return rows[0];
  }

  /** The study row (created on first sight); a later instance may supply the patient. */
  async upsertStudy(trustId: string, studyUid: string, personId: string | null, studyDate: string | null): Promise<string> {
    const [row] = await this.db.query<{ id: string }>(
      `INSERT INTO imaging.study (trust_id, study_uid, person_id, study_date) VALUES ($1, $2, $3, to_date($4, 'YYYYMMDD'))
       ON CONFLICT (trust_id, study_uid) DO UPDATE
         SET person_id = COALESCE(imaging.study.person_id, EXCLUDED.person_id), study_date = COALESCE(imaging.study.study_date, EXCLUDED.study_date)
       RETURNING id`,
      [trustId, studyUid, personId, studyDate],
    );
    return row!.id;
  }

  async upsertSeries(
    trustId: string,
    studyId: string,
    seriesUid: string,
    modality: string | null,
    seriesNumber: number | null,
  ): Promise<string> {
    const [row] = await this.db.query<{ id: string }>(
      `INSERT INTO imaging.series (trust_id, study_id, series_uid, modality, series_number) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (trust_id, series_uid) DO UPDATE
         SET modality = COALESCE(imaging.series.modality, EXCLUDED.modality), series_number = COALESCE(imaging.series.series_number, EXCLUDED.series_number)
       RETURNING id`,
      [trustId, studyId, seriesUid, modality, seriesNumber],
    );
    return row!.id;
  }

  /** Insert unless the trust already has this SOP instance; true when this call inserted it. */
  async insertInstance(r: NewInstance): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `INSERT INTO imaging.instance (id, trust_id, study_id, series_id, sop_instance_uid, sop_class_uid, transfer_syntax_uid, instance_number,
         number_of_frames, person_id, nhs_enc, status, status_reason, quarantine_reason, object_key, bytes, content_mac, batch_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
       ON CONFLICT (trust_id, sop_instance_uid) DO NOTHING RETURNING id`,
      [
        r.id,
        r.trustId,
        r.studyId,
        r.seriesId,
        r.sopInstanceUid,
        r.sopClassUid,
        r.transferSyntaxUid,
        r.instanceNumber,
        r.numberOfFrames,
        r.personId,
        r.nhsEnc,
        r.status,
        r.statusReason,
        r.quarantineReason,
        r.objectKey,
        r.bytes,
        r.contentMac,
        r.batchId,
      ],
    );
    return rows.length === 1;
  }

  /** A trust's instances waiting for a guardian (quarantined or held), oldest first. */
  async reviewQueue(trustId: string, statuses: readonly InstanceStatus[], limit: number, offset: number): Promise<ReviewRow[]> {
    return this.db.query<ReviewRow>(
      `SELECT i.id, i.status, i.status_reason, i.quarantine_reason, i.sop_instance_uid, i.sop_class_uid, se.series_uid, st.study_uid, se.modality,
              i.bytes, i.received_at, i.object_key
         FROM imaging.instance i JOIN imaging.series se ON se.id = i.series_id JOIN imaging.study st ON st.id = i.study_id
        WHERE i.trust_id = $1 AND i.status = ANY($2::text[])
        ORDER BY i.received_at, i.id LIMIT $3 OFFSET $4`,
      [trustId, statuses, limit, offset],
    );
  }

  /** One instance of a trust, locked for a status change. */
  async lockForReview(trustId: string, id: string): Promise<ReviewRow | undefined> {
    const rows = await this.db.query<ReviewRow>(
      `SELECT i.id, i.status, i.status_reason, i.quarantine_reason, i.sop_instance_uid, i.sop_class_uid, se.series_uid, st.study_uid, se.modality,
              i.bytes, i.received_at, i.object_key
         FROM imaging.instance i JOIN imaging.series se ON se.id = i.series_id JOIN imaging.study st ON st.id = i.study_id
        WHERE i.trust_id = $1 AND i.id = $2 FOR UPDATE OF i`,
      [trustId, id],
    );
    return rows[0];
  }

  async setReviewed(
    trustId: string,
    id: string,
    from: InstanceStatus,
    to: InstanceStatus,
    review: { by: string; note: string; clearObject: boolean },
  ): Promise<boolean> {
    const rows = await this.db.query<{ id: string }>(
      `UPDATE imaging.instance SET status = $4, status_reason = CASE WHEN $4 = 'available' THEN NULL ELSE status_reason END,
              reviewed_by = $5, reviewed_at = now(), review_note = $6, object_key = CASE WHEN $7 THEN NULL ELSE object_key END
        WHERE trust_id = $1 AND id = $2 AND status = $3 RETURNING id`,
      [trustId, id, from, to, review.by, review.note, review.clearObject],
    );
    return rows.length === 1;
  }

  /** Available instances of these trusts that this project has no de-identified view of yet. */
  async unmapped(projectId: string, trustIds: readonly string[], afterId: string, limit: number): Promise<UnmappedRow[]> {
    return this.db.query<UnmappedRow>(
      `SELECT i.id, i.trust_id, i.nhs_enc, i.sop_instance_uid, se.series_uid, st.study_uid, to_char(st.study_date, 'YYYYMMDD') AS study_date
         FROM imaging.instance i JOIN imaging.series se ON se.id = i.series_id JOIN imaging.study st ON st.id = i.study_id
        WHERE i.trust_id = ANY($2::uuid[]) AND i.status = 'available' AND i.nhs_enc IS NOT NULL
          AND i.id > $3::uuid
          AND NOT EXISTS (SELECT 1 FROM imaging.project_instance pi WHERE pi.project_id = $1 AND pi.instance_id = i.id)
        ORDER BY i.id LIMIT $4`,
      [projectId, trustIds, afterId, limit],
    );
  }

  async insertProjectInstances(rows: readonly ProjectInstanceRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO imaging.project_instance (project_id, instance_id, trust_id, deid_study_uid, deid_series_uid, deid_sop_uid, pseudonym, study_date)
       SELECT u.project_id, u.instance_id, u.trust_id, u.deid_study_uid, u.deid_series_uid, u.deid_sop_uid, u.pseudonym, to_date(u.study_date, 'YYYYMMDD')
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
           AS u(project_id, instance_id, trust_id, deid_study_uid, deid_series_uid, deid_sop_uid, pseudonym, study_date)
       ON CONFLICT DO NOTHING`,
      [
        rows.map((r) => r.projectId),
        rows.map((r) => r.instanceId),
        rows.map((r) => r.trustId),
        rows.map((r) => r.deidStudyUid),
        rows.map((r) => r.deidSeriesUid),
        rows.map((r) => r.deidSopUid),
        rows.map((r) => r.pseudonym),
        rows.map((r) => r.studyDate),
      ],
    );
  }

  /** Forget a project's view of these trusts' instances, or of all (revocation, expiry, closure). */
  async deleteProjectInstances(projectId: string, trustIds?: readonly string[]): Promise<number> {
    const rows = await this.db.query<{ instance_id: string }>(
      trustIds
        ? `DELETE FROM imaging.project_instance WHERE project_id = $1 AND trust_id = ANY($2::uuid[]) RETURNING instance_id`
        : `DELETE FROM imaging.project_instance WHERE project_id = $1 RETURNING instance_id`,
      trustIds ? [projectId, trustIds] : [projectId],
    );
    return rows.length;
  }

  /** QIDO-RS study level (PS3.18 §10.6): one row per de-identified study. */
  async searchStudies(scope: EligibilityScope, f: QidoFilter): Promise<StudyResult[]> {
    const p = new Params();
    const where = this.eligible(p, scope, f, 'study');
    const having = f.modalities?.length
      ? `HAVING bool_or(upper(se.modality) = ANY(${p.add(f.modalities.map((m) => m.toUpperCase()))}::text[]))`
      : '';
    return this.db.query<StudyResult>(
      `SELECT pi.deid_study_uid, min(pi.pseudonym) AS pseudonym, to_char(min(pi.study_date), 'YYYYMMDD') AS study_date,
              array_agg(DISTINCT upper(se.modality)) AS modalities, count(DISTINCT pi.deid_series_uid) AS series, count(*) AS instances
         ${this.from()} WHERE ${where}
        GROUP BY pi.deid_study_uid ${having}
        ORDER BY min(pi.study_date) NULLS LAST, pi.deid_study_uid
        LIMIT ${p.add(f.limit)} OFFSET ${p.add(f.offset)}`,
      p.values,
    );
  }

  /** QIDO-RS series level. */
  async searchSeries(scope: EligibilityScope, f: QidoFilter): Promise<SeriesResult[]> {
    const p = new Params();
    const where = this.eligible(p, scope, f, 'series');
    return this.db.query<SeriesResult>(
      `SELECT pi.deid_study_uid, pi.deid_series_uid, min(pi.pseudonym) AS pseudonym, to_char(min(pi.study_date), 'YYYYMMDD') AS study_date,
              min(upper(se.modality)) AS modality, min(se.series_number) AS series_number, count(*) AS instances
         ${this.from()} WHERE ${where}
        GROUP BY pi.deid_study_uid, pi.deid_series_uid
        ORDER BY min(se.series_number) NULLS LAST, pi.deid_series_uid
        LIMIT ${p.add(f.limit)} OFFSET ${p.add(f.offset)}`,
      p.values,
    );
  }

  /** QIDO-RS instance level. */
  async searchInstances(scope: EligibilityScope, f: QidoFilter): Promise<InstanceResult[]> {
    const p = new Params();
    const where = this.eligible(p, scope, f, 'series');
    return this.db.query<InstanceResult>(
      `SELECT ${INSTANCE_COLUMNS} ${this.from()} WHERE ${where}
        ORDER BY pi.deid_series_uid, i.instance_number NULLS LAST, pi.deid_sop_uid
        LIMIT ${p.add(f.limit)} OFFSET ${p.add(f.offset)}`,
      p.values,
    );
  }

  /** WADO-RS: the eligible instances of a study, series or single instance, with their storage keys. */
  async forRetrieval(
    scope: EligibilityScope,
    f: Pick<QidoFilter, 'studyUids' | 'seriesUids' | 'sopUids'>,
    max: number,
  ): Promise<RetrievalRow[]> {
    const p = new Params();
    const where = this.eligible(p, scope, { ...f, limit: max, offset: 0 }, 'series');
    return this.db.query<RetrievalRow>(
      `SELECT ${INSTANCE_COLUMNS}, i.id AS instance_id, i.trust_id, i.object_key, i.nhs_enc, i.quarantine_reason, i.bytes
         ${this.from()} WHERE ${where} AND i.object_key IS NOT NULL
        ORDER BY pi.deid_series_uid, i.instance_number NULLS LAST, pi.deid_sop_uid
        LIMIT ${p.add(max)}`,
      p.values,
    );
  }

  private from(): string {
    return `FROM imaging.project_instance pi
            JOIN imaging.instance i ON i.id = pi.instance_id AND i.trust_id = pi.trust_id
            JOIN imaging.series se ON se.id = i.series_id`;
  }

  /**
   * Eligibility (checked on every call): the project's own view, of trusts whose approval is in
   * force, available (never quarantined, held or rejected), of an approved modality, of a patient
   * not opted out now, and with a study consent permit where the trust's approval requires one.
   */
  private eligible(p: Params, scope: EligibilityScope, f: QidoFilter, level: 'study' | 'series'): string {
    const projectId = p.add(scope.projectId);
    const w = [
      `pi.project_id = ${projectId}`,
      `i.trust_id = ANY(${p.add(scope.trustIds)}::uuid[])`,
      `i.status = 'available'`,
      `upper(se.modality) = ANY(${p.add(scope.modalities.map((m) => m.toUpperCase()))}::text[])`,
      `NOT EXISTS (SELECT 1 FROM consent.person cp JOIN consent.opt_out oo ON oo.nhs_bidx = cp.nhs_bidx WHERE cp.id = i.person_id)`,
    ];
    if (scope.consentTrustIds.length > 0) {
      w.push(`(NOT (i.trust_id = ANY(${p.add(scope.consentTrustIds)}::uuid[])) OR (
        EXISTS (SELECT 1 FROM consent.study_consent sc WHERE sc.person_id = i.person_id AND sc.decision = 'permit' AND sc.status = 'active'
                 AND (sc.scope IS NULL OR sc.scope = ${projectId}::text) AND (sc.period_end IS NULL OR sc.period_end >= current_date))
        AND NOT EXISTS (SELECT 1 FROM consent.study_consent sd WHERE sd.person_id = i.person_id AND sd.decision = 'deny' AND sd.status = 'active'
                 AND (sd.scope IS NULL OR sd.scope = ${projectId}::text))))`);
    }
    if (f.studyUids?.length) w.push(`pi.deid_study_uid = ANY(${p.add(f.studyUids)}::text[])`);
    if (f.seriesUids?.length) w.push(`pi.deid_series_uid = ANY(${p.add(f.seriesUids)}::text[])`);
    if (f.sopUids?.length) w.push(`pi.deid_sop_uid = ANY(${p.add(f.sopUids)}::text[])`);
    if (f.pseudonym) w.push(`pi.pseudonym = ${p.add(f.pseudonym)}`);
    if (f.studyDateFrom) w.push(`pi.study_date >= to_date(${p.add(f.studyDateFrom)}, 'YYYYMMDD')`);
    if (f.studyDateTo) w.push(`pi.study_date <= to_date(${p.add(f.studyDateTo)}, 'YYYYMMDD')`);
    if (level === 'series' && f.modalities?.length)
      w.push(`upper(se.modality) = ANY(${p.add(f.modalities.map((m) => m.toUpperCase()))}::text[])`);
    return w.join(' AND ');
  }
}

const INSTANCE_COLUMNS = `pi.deid_study_uid, pi.deid_series_uid, pi.deid_sop_uid, pi.pseudonym, to_char(pi.study_date, 'YYYYMMDD') AS study_date,
  upper(se.modality) AS modality, se.series_number, i.sop_class_uid, i.instance_number, i.number_of_frames, i.transfer_syntax_uid`;
