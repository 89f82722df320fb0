import { Inject, Injectable } from '@nestjs/common';
import type { JSONWebKeySet } from 'jose';
import { Db } from '@harbour/persistence';
import { DomainError } from '@harbour/errors';
import { AuditRepository, type AuditSearchFilter } from './audit.repository.js';
import { CHECKPOINT_JWS_TYPE, type AuditActor, type AuditRecord, type CheckpointRecord } from './audit-record.js';
import { AuditLog } from './audit-log.service.js';
import { verifyAuditTrail, type TrailVerification } from './verify/verify-trail.js';

/**
 * Signs checkpoints with the station signing key. Implemented by the identity lib's key store
 * (the same keys that sign access tokens); declared here so the audit lib depends on no other.
 */
export interface CheckpointSigner {
  /** Compact JWS (RFC 7515) over the JSON payload with the active key; `typ` goes in the header. */
  signCompact(payload: Record<string, unknown>, typ: string): Promise<{ jws: string; kid: string }>;
  /** Every public key the station has signed with (active and retired), for offline verification. */
  allPublicKeys(): Promise<JSONWebKeySet>;
}
export const CHECKPOINT_SIGNER = Symbol('CHECKPOINT_SIGNER');

export interface AuditPage {
  readonly entries: readonly AuditRecord[];
  /** Opaque; pass back as `cursor` for the next (older) page; null at the end. */
  readonly nextCursor: string | null;
}

export interface AuditExport {
  readonly entries: readonly AuditRecord[];
  readonly checkpoints: readonly CheckpointRecord[];
  readonly jwks: JSONWebKeySet;
}

const VERIFY_PAGE = 5000;

/** Reading, verifying, exporting and checkpointing the trail. */
@Injectable()
export class AuditTrailService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AuditRepository) private readonly repo: AuditRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(CHECKPOINT_SIGNER) private readonly signer: CheckpointSigner,
  ) {}

  /** Search, newest first, keyset-paged on the sequence number. */
  async search(f: Omit<AuditSearchFilter, 'beforeSeq'> & { cursor?: string }): Promise<AuditPage> {
    let beforeSeq: number | undefined;
    if (f.cursor !== undefined) {
      const n = Number(Buffer.from(f.cursor, 'base64url').toString('utf8'));
      if (!Number.isInteger(n) || n < 1) throw new DomainError('invalid_request', 'cursor is not valid');
      beforeSeq = n;
    }
    const { cursor: _c, ...filter } = f;
    await this.audit.seal();
    const rows = await this.repo.search({ ...filter, ...(beforeSeq !== undefined ? { beforeSeq } : {}), limit: f.limit + 1 });
    const entries = rows.slice(0, f.limit);
    const last = entries[entries.length - 1];
    return { entries, nextCursor: rows.length > f.limit && last ? Buffer.from(String(last.seq)).toString('base64url') : null };
  }

  /**
   * Sign the current head (`POST /audit/checkpoints`, the CLI, and the scheduled job).
   * Returns the existing checkpoint when the head has not moved; null on an empty trail.
   */
  async createCheckpoint(): Promise<CheckpointRecord | null> {
    await this.audit.seal();
    return this.db.run(async () => {
      const head = await this.repo.readHead();
      if (head.seq === 0) return null;
      const latest = await this.repo.latestCheckpoint();
      if (latest && latest.treeSize >= head.seq) return latest;
      const statement = { treeSize: head.seq, headHash: head.hash, time: new Date().toISOString() };
      const { jws, kid } = await this.signer.signCompact(statement, CHECKPOINT_JWS_TYPE);
      return this.repo.insertCheckpoint({ ...statement, kid, jws });
    });
  }

  /** Verify the live store and record that it was verified (`GET /audit/verify`). */
  async verifyLive(actor: AuditActor): Promise<TrailVerification> {
    const outcome = await this.verifyStore();
    await this.audit.append({
      action: 'audit.verified',
      actor,
      outcome: outcome.ok ? 'success' : 'failure',
      payload: { ok: outcome.ok, entriesChecked: outcome.entriesChecked, firstBadSeq: outcome.failure?.seq ?? null },
    });
    return outcome;
  }

  /** Verify the live store page by page against its checkpoints and chain head (after sealing what is pending). */
  async verifyStore(): Promise<TrailVerification> {
    await this.audit.seal();
    const jwks = await this.signer.allPublicKeys();
    const head = await this.repo.readHead();
    let anchor: { seq: number; hash: string } | undefined;
    let entriesChecked = 0;
    let checkpointsChecked = 0;
    let firstSeq: number | null = null;
    let outcome: TrailVerification | undefined;
    for (;;) {
      const entries = await this.repo.page(anchor?.seq ?? 0, VERIFY_PAGE, head.seq);
      const lastOfPage = entries[entries.length - 1];
      const isLast = entries.length < VERIFY_PAGE;
      const checkpoints = await this.repo.checkpointsBetween(
        (anchor?.seq ?? 0) + 1,
        isLast ? Number.MAX_SAFE_INTEGER : (lastOfPage?.seq ?? 0),
      );
      const r = await verifyAuditTrail({
        entries,
        checkpoints,
        jwks,
        anchor: anchor ?? { seq: 0, hash: '0'.repeat(64) },
        ...(isLast ? { expectedHead: head } : {}),
      });
      entriesChecked += r.entriesChecked;
      checkpointsChecked += r.checkpointsChecked;
      firstSeq ??= r.firstSeq;
      if (!r.ok || isLast || !lastOfPage) {
        outcome = { ...r, entriesChecked, checkpointsChecked, firstSeq, lastSeq: r.lastSeq ?? anchor?.seq ?? null };
        break;
      }
      anchor = { seq: lastOfPage.seq, hash: lastOfPage.hash };
    }
    return outcome;
  }

  /**
   * Entries recorded in [from, to), the checkpoints inside that stretch, and every station
   * public key: all an offline verifier needs. The export itself is audited afterwards.
   */
  async exportRange(range: { from?: Date; to?: Date }, actor: AuditActor): Promise<AuditExport> {
    await this.audit.seal();
    const jwks = await this.signer.allPublicKeys();
    const seqs = await this.repo.seqRangeForTime(range.from, range.to);
    const entries: AuditRecord[] = [];
    let checkpoints: CheckpointRecord[] = [];
    if (seqs) {
      let after = seqs.first - 1;
      for (;;) {
        const page = await this.repo.page(after, VERIFY_PAGE, seqs.last);
        entries.push(...page);
        if (page.length < VERIFY_PAGE) break;
        after = page[page.length - 1]!.seq;
      }
      checkpoints = await this.repo.checkpointsBetween(seqs.first, seqs.last);
    }
    await this.audit.append({
      action: 'audit.exported',
      actor,
      payload: { fromSeq: seqs?.first ?? 0, toSeq: seqs?.last ?? 0, entries: entries.length, checkpoints: checkpoints.length },
    });
    return { entries, checkpoints, jwks };
  }
}
