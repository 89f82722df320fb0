import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import type { OptOutKind } from './entities/opt-out.entity.js';

export interface OptOutListRow {
  id: string;
  trust_id: string;
  kind: OptOutKind;
  version: number;
  entries: number;
  invalid_lines: number;
  uploaded_by: string | null;
  created_at: Date;
}

@Injectable()
export class OptOutRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /**
   * Replace a trust's list of one kind with a new version, in the caller's transaction: the
   * previous rows go and the new ones arrive atomically, so no query sees a half-updated list.
   * The version's entries are also appended to `consent.opt_out_entry` (history, never changed).
   * A row lock on the trust's lists serialises concurrent uploads of the same kind.
   */
  async replaceList(
    trustId: string,
    kind: OptOutKind,
    bidxs: readonly Buffer[],
    invalidLines: number,
    uploadedBy: string | null,
  ): Promise<OptOutListRow> {
    await this.db.query(`SELECT pg_advisory_xact_lock(hashtext('optout:' || $1 || ':' || $2))`, [trustId, kind]);
    const [prev] = await this.db.query<{ v: number | null }>(
      `SELECT max(version) AS v FROM consent.opt_out_list WHERE trust_id = $1 AND kind = $2`,
      [trustId, kind],
    );
    const version = (prev?.v ?? 0) + 1;
    const [list] = await this.db.query<OptOutListRow>(
      `INSERT INTO consent.opt_out_list (trust_id, kind, version, entries, invalid_lines, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [trustId, kind, version, bidxs.length, invalidLines, uploadedBy],
    );
    // The version's entries, kept for ever (the compliance report recomputes past opt-outs from them).
    await this.db.query(`INSERT INTO consent.opt_out_entry (list_id, nhs_bidx) SELECT DISTINCT $1::uuid, unnest($2::bytea[])`, [
      list!.id,
      bidxs,
    ]);
    await this.db.query(`DELETE FROM consent.opt_out WHERE trust_id = $1 AND kind = $2`, [trustId, kind]);
    await this.db.query(
      `INSERT INTO consent.opt_out (nhs_bidx, kind, trust_id, list_version) SELECT DISTINCT unnest($1::bytea[]), $2::text, $3::uuid, $4::int ON CONFLICT DO NOTHING`,
      [bidxs, kind, trustId, version],
    );
    return list!;
  }

  async lists(trustId: string): Promise<OptOutListRow[]> {
    return this.db.query(`SELECT * FROM consent.opt_out_list WHERE trust_id = $1 ORDER BY created_at DESC, version DESC`, [trustId]);
  }

  /** The version vector of all current lists: recorded with every disclosure (consent list version). */
  async currentVersions(): Promise<Record<string, number>> {
    const rows = await this.db.query<{ trust_id: string; kind: string; v: number }>(
      `SELECT trust_id, kind, max(version) AS v FROM consent.opt_out_list GROUP BY trust_id, kind`,
    );
    const out: Record<string, number> = {};
    for (const r of rows) out[`${r.trust_id}:${r.kind}`] = Number(r.v);
    return out;
  }
}
