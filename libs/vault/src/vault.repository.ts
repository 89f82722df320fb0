import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { uuid7 } from './uuid7.js';

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
 * Many ciphertexts as one binary parameter plus offsets: node-pg sends a Buffer parameter as raw
 * bytes, but an array of Buffers as a hex text literal (twice the bytes, escaped, then parsed
 * back by the server), which costs more than the encryption itself. SQL slices each value back out
 * with `substring(blob FROM off FOR len)`.
 */
function packBlobs(blobs: readonly Buffer[]): { blob: Buffer; offsets: number[]; lengths: number[] } {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let pos = 1; // SQL substring positions are 1-based
  for (const b of blobs) {
    offsets.push(pos);
    lengths.push(b.length);
    pos += b.length;
  }
  return { blob: Buffer.concat(blobs as Buffer[], pos - 1), offsets, lengths };
}

/**
 * The only SQL over the vault. Every method takes the trust id: a query without the tenant
 * cannot be written against this repository. Upserts skip rows whose content hash is unchanged,
 * which makes re-ingesting the same extract a no-op. New rows get time-ordered ids ({@link uuid7})
 * so bulk inserts append to the primary-key index instead of touching a random page per row.
 */
@Injectable()
export class VaultRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /**
   * Insert or update patients; returns id and whether the row changed, by source id. Source ids
   * must be distinct within one call (one row cannot be upserted twice by one statement).
   */
  async upsertPatients(
    trustId: string,
    batchId: string,
    rows: readonly PatientUpsert[],
  ): Promise<Map<string, { id: string; changed: boolean }>> {
    const out = new Map<string, { id: string; changed: boolean }>();
    if (rows.length === 0) return out;
    const { blob, offsets, lengths } = packBlobs(rows.map((r) => r.identityEnc));
    const res = await this.db.query<{ id: string; source_id: string }>(
      `INSERT INTO vault.patient (id, trust_id, person_id, source_id, identity_enc, content_hash, batch_id)
       SELECT u.id, $1, u.person_id, u.source_id, substring($3::bytea FROM u.off FOR u.len), u.content_hash, $2
         FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::int[], $8::int[], $9::text[])
           AS u(id, person_id, source_id, off, len, content_hash)
       ON CONFLICT (trust_id, source_id) DO UPDATE
         SET person_id = EXCLUDED.person_id, identity_enc = EXCLUDED.identity_enc, content_hash = EXCLUDED.content_hash,
             batch_id = EXCLUDED.batch_id, updated_at = now()
         WHERE vault.patient.content_hash <> EXCLUDED.content_hash
       RETURNING id, source_id`,
      [
        trustId,
        batchId,
        blob,
        rows.map(() => uuid7()),
        rows.map((r) => r.personId),
        rows.map((r) => r.sourceId),
        offsets,
        lengths,
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

  /**
   * Insert or update records. Returns the rows that changed, by `type/sourceId`, with their id and
   * whether they are new (a new record has nothing derived from it yet); unchanged rows are absent.
   * Keys must be distinct within one call.
   */
  async upsertRecords(
    trustId: string,
    batchId: string,
    rows: readonly RecordUpsert[],
  ): Promise<Map<string, { id: string; inserted: boolean }>> {
    const out = new Map<string, { id: string; inserted: boolean }>();
    if (rows.length === 0) return out;
    const ids = rows.map(() => uuid7());
    const { blob, offsets, lengths } = packBlobs(rows.map((r) => r.contentEnc));
    const res = await this.db.query<{ id: string; resource_type: string; source_id: string }>(
      `INSERT INTO vault.record (id, trust_id, patient_id, resource_type, source_id, content_enc, content_hash, batch_id)
       SELECT u.id, $1, u.patient_id, u.resource_type, u.source_id, substring($3::bytea FROM u.off FOR u.len), u.content_hash, $2
         FROM unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::int[], $9::int[], $10::text[])
           AS u(id, patient_id, resource_type, source_id, off, len, content_hash)
       ON CONFLICT (trust_id, resource_type, source_id) DO UPDATE
         SET patient_id = EXCLUDED.patient_id, content_enc = EXCLUDED.content_enc, content_hash = EXCLUDED.content_hash,
             batch_id = EXCLUDED.batch_id, updated_at = now()
         WHERE vault.record.content_hash <> EXCLUDED.content_hash
       RETURNING id, resource_type, source_id`,
      [
        trustId,
        batchId,
        blob,
        ids,
        rows.map((r) => r.patientId),
        rows.map((r) => r.resourceType),
        rows.map((r) => r.sourceId),
        offsets,
        lengths,
        rows.map((r) => r.contentHash),
      ],
    );
    // An update keeps the row's existing id, so the id we proposed comes back only for an insert.
    const proposed = new Set(ids);
    for (const r of res) out.set(`${r.resource_type}/${r.source_id}`, { id: r.id, inserted: proposed.has(r.id) });
    return out;
  }

  /**
   * A page of a trust's patients with their encrypted identity (for the patient index of a new
   * batch), in id order after `afterId`; pages keep memory bounded however many patients a trust has.
   */
  async patientIdentitiesPage(
    trustId: string,
    afterId: string | null,
    limit: number,
  ): Promise<{ id: string; source_id: string; person_id: string; identity_enc: Buffer }[]> {
    return this.db.query(
      `SELECT id, source_id, person_id, identity_enc FROM vault.patient
        WHERE trust_id = $1 AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3`,
      [trustId, afterId, limit],
    );
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
