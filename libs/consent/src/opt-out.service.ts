import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { DomainError } from '@harbour/errors';
import { AuditLog } from '@harbour/audit';
import { AccessPolicy, actorOf, type Principal } from '@harbour/auth';
import { canonicalNhsNumber } from '@harbour/nhs';
import { nhsBlindIndex, nhsBlindIndexKey } from '@harbour/vault';
import { ResearchRepository } from '@harbour/research';
import { OptOutRepository, type OptOutListRow } from './opt-out.repository.js';
import type { OptOutKind } from './entities/opt-out.entity.js';

/** Parse an opt-out list: one NHS number per line (or first CSV column), separators tolerated. */
export function parseOptOutText(text: string): { numbers: Set<string>; invalidLines: number } {
  const numbers = new Set<string>();
  let invalidLines = 0;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const cell = line.split(/[,;\t]/)[0]!.replace(/^"|"$/g, '');
    const nhs = canonicalNhsNumber(cell);
    if (nhs) numbers.add(nhs);
    else if (!(i === 0 && /[a-z]/i.test(cell))) invalidLines++; // a header line is not an error
  }
  return { numbers, invalidLines };
}

/**
 * National Data Opt-out and type 1 opt-out lists. Uploading a new version replaces the trust's
 * list of that kind in one transaction, removes the opted-out persons from the research store at
 * once, and is audited with counts only (never numbers).
 */
@Injectable()
export class OptOutService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(KEY_MATERIAL) private readonly keys: KeyMaterial,
    @Inject(OptOutRepository) private readonly repo: OptOutRepository,
    @Inject(ResearchRepository) private readonly research: ResearchRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  async upload(p: Principal, trustId: string, kind: OptOutKind, text: string): Promise<OptOutListRow & { removedFromResearch: number }> {
    if (!AccessPolicy.isStationWide(p) && p.trustId !== trustId) throw new DomainError('not_found', 'trust not found');
    if (p.kind !== 'system' && !(p.trustId === trustId && (p.roles.includes('guardian') || p.roles.includes('trust-uploader')))) {
      throw new DomainError('forbidden', "only the trust's guardian or uploader can change its opt-out list");
    }
    const { numbers, invalidLines } = parseOptOutText(text);
    const key = nhsBlindIndexKey(this.keys.masterKey());
    const bidxs = [...numbers].map((n) => nhsBlindIndex(key, n));
    return this.db.run(async () => {
      const list = await this.repo.replaceList(trustId, kind, bidxs, invalidLines, p.id);
      const persons = await this.db.query<{ id: string }>(`SELECT id FROM consent.person WHERE nhs_bidx = ANY($1::bytea[])`, [bidxs]);
      const removed = await this.research.removePersons(persons.map((r) => r.id));
      await this.audit.append({
        action: 'optout.list_uploaded',
        actor: actorOf(p),
        target: { type: 'opt_out_list', id: list.id },
        trustId,
        payload: { kind, version: list.version, entries: list.entries, invalidLines, removedFromResearch: removed },
      });
      return { ...list, removedFromResearch: removed };
    });
  }

  async history(p: Principal, trustId: string): Promise<OptOutListRow[]> {
    AccessPolicy.assertTrust(p, trustId);
    return this.repo.lists(trustId);
  }
}
