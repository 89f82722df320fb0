import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';

export interface PatientUpsert {
  sourceId: string;
  personId: string;
  identityEnc: Buffer;
  contentHash: string;
}

export interface RecordUpsert {
  resourceType: string;
  sourceId: string;
  patientId: string | null;
  contentEnc: Buffer;
  contentHash: string;
}

/**
 * The only SQL over the vault. Every method takes the trust id: a query without the tenant
 * cannot be written against this repository. Upserts skip rows whose content hash is unchanged,
 * which makes re-ingesting the same extract a no-op.
 */
@Injectable()
export class VaultRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /** Insert or update patients; returns id and whether the row changed, by source id. */
  async upsertPatients(
    trustId: string,
    batchId: string,
    rows: readonly PatientUpsert[],
  ): Promise<Map<string, { id: string; changed: boolean }>> {
    const out = new Map<string, { id: string; changed: boolean }>();
    if (rows.length === 0) return out;
    const res = await this.db.query<{ id: string; source_id: string; changed: boolean }>(
      `INSERT INTO vault.patient (trust_id, person_id, source_id, identity_enc, content_hash, batch_id)
       SELECT $1, u.person_id, u.source_id, u.identity_enc, u.content_hash, $2
         FROM unnest($3::uuid[], $4::text[], $5::bytea[], $6::text[]) AS u(person_id, source_id, identity_enc, content_hash)
       ON CONFLICT (trust_id, source_id) DO UPDATE
         SET person_id = EXCLUDED.person_id, identity_enc = EXCLUDED.identity_enc, content_hash = EXCLUDED.content_hash,
             batch_id = EXCLUDED.batch_id, updated_at = now()
         WHERE vault.patient.content_hash <> EXCLUDED.content_hash
       RETURNING id, source_id, true AS changed`,
      [
        trustId,
        batchId,
        rows.map((r) => r.personId),
        rows.map((r) => r.sourceId),
        rows.map((r) => r.identityEnc),
        rows.map((r) => r.contentHash),
      ],
    );
    for (const r of res) out.set(r.source_id, { id: r.id, changed: true });
    const missing = rows.filter((r) => !out.has(r.sourceId)).map((r) => r.sourceId);
    if (missing.length > 0) {
      const existing = await this.db.query<{ id: string; source_id: string }>(
        `SELECT id, source_id FROM vault.patient WHERE trust_id = $1 AND source_id = ANY($2::text[])`,
        [trustId, missing],
      );
      for (const r of existing) out.set(r.source_id, { id: r.id, changed: false });
    }
    return out;
  }

  async upsertRecords(
    trustId: string,
    batchId: string,
    rows: readonly RecordUpsert[],
  ): Promise<Map<string, { id: string; changed: boolean }>> {
    const out = new Map<string, { id: string; changed: boolean }>();
    if (rows.length === 0) return out;
    const key = (t: string, s: string): string => `${t}/${s}`;
    const res = await this.db.query<{ id: string; resource_type: string; source_id: string }>(
      `INSERT INTO vault.record (trust_id, patient_id, resource_type, source_id, content_enc, content_hash, batch_id)
       SELECT $1, u.patient_id, u.resource_type, u.source_id, u.content_enc, u.content_hash, $2
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::bytea[], $7::text[]) AS u(patient_id, resource_type, source_id, content_enc, content_hash)
       ON CONFLICT (trust_id, resource_type, source_id) DO UPDATE
         SET patient_id = EXCLUDED.patient_id, content_enc = EXCLUDED.content_enc, content_hash = EXCLUDED.content_hash,
             batch_id = EXCLUDED.batch_id, updated_at = now()
         WHERE vault.record.content_hash <> EXCLUDED.content_hash
       RETURNING id, resource_type, source_id`,
      [
        trustId,
        batchId,
        rows.map((r) => r.patientId),
        rows.map((r) => r.resourceType),
        rows.map((r) => r.sourceId),
        rows.map((r) => r.contentEnc),
        rows.map((r) => r.contentHash),
      ],
    );
    for (const r of res) out.set(key(r.resource_type, r.source_id), { id: r.id, changed: true });
    const missing = rows.filter((r) => !out.has(key(r.resourceType, r.sourceId)));
    if (missing.length > 0) {
      const existing = await this.db.query<{ id: string; resource_type: string; source_id: string }>(
        `SELECT id, resource_type, source_id FROM vault.record
          WHERE trust_id = $1 AND (resource_type, source_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
        [trustId, missing.map((m) => m.resourceType), missing.map((m) => m.sourceId)],
      );
      for (const r of existing) out.set(key(r.resource_type, r.source_id), { id: r.id, changed: false });
    }
    return out;
  }

  /** Every patient of a trust with its encrypted identity (for the patient index of a new batch). */
  async patientIdentities(trustId: string): Promise<{ id: string; source_id: string; person_id: string; identity_enc: Buffer }[]> {
    return this.db.query(`SELECT id, source_id, person_id, identity_enc FROM vault.patient WHERE trust_id = $1`, [trustId]);
  }

  async patientsOfPerson(trustId: string, personId: string): Promise<{ id: string; identity_enc: Buffer }[]> {
    return this.db.query(`SELECT id, identity_enc FROM vault.patient WHERE trust_id = $1 AND person_id = $2`, [trustId, personId]);
  }

  /** Records of a patient, for de-identification into a project. */
  async recordsOfPatient(trustId: string, patientId: string): Promise<{ id: string; resource_type: string; content_enc: Buffer }[]> {
    return this.db.query(
      `SELECT id, resource_type, content_enc FROM vault.record WHERE trust_id = $1 AND patient_id = $2 ORDER BY resource_type, source_id`,
      [trustId, patientId],
    );
  }

  async counts(trustId: string): Promise<{ patients: number; records: number }> {
    const [p] = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM vault.patient WHERE trust_id = $1`, [trustId]);
    const [r] = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM vault.record WHERE trust_id = $1`, [trustId]);
    return { patients: Number(p?.n ?? 0), records: Number(r?.n ?? 0) };
  }
}
