import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';

/** Persons by NHS-number blind index: one person across trusts. */
@Injectable()
export class PersonRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /** Person ids for blind indexes, creating the missing ones (safe under concurrent batches). */
  async ensure(bidxs: readonly Buffer[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (bidxs.length === 0) return out;
    await this.db.query(`INSERT INTO consent.person (nhs_bidx) SELECT unnest($1::bytea[]) ON CONFLICT (nhs_bidx) DO NOTHING`, [bidxs]);
    const rows = await this.db.query<{ id: string; nhs_bidx: Buffer }>(
      `SELECT id, nhs_bidx FROM consent.person WHERE nhs_bidx = ANY($1::bytea[])`,
      [bidxs],
    );
    for (const r of rows) out.set(r.nhs_bidx.toString('hex'), r.id);
    return out;
  }

  /** Which of these persons are opted out right now (any list, any trust). */
  async optedOut(personIds: readonly string[]): Promise<Set<string>> {
    if (personIds.length === 0) return new Set();
    const rows = await this.db.query<{ id: string }>(
      `SELECT DISTINCT p.id FROM consent.person p JOIN consent.opt_out o ON o.nhs_bidx = p.nhs_bidx WHERE p.id = ANY($1::uuid[])`,
      [personIds],
    );
    return new Set(rows.map((r) => r.id));
  }
}
