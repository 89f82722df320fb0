import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { chainHash, hashedBody } from '../chain-hash.js';
import { CHECKPOINT_JWS_TYPE, GENESIS_HASH, type AuditRecord, type CheckpointRecord } from '../audit-record.js';

export type TrailFailureKind = 'altered' | 'removed' | 'reordered' | 'inserted' | 'bad_checkpoint';

export interface TrailFailure {
  readonly kind: TrailFailureKind;
  /** The entry (or checkpoint tree size) named as the first problem. */
  readonly seq: number;
  readonly message: string;
}

export interface TrailVerification {
  readonly ok: boolean;
  readonly entriesChecked: number;
  readonly checkpointsChecked: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly failure: TrailFailure | null;
}

export interface TrailInput {
  /** Entries in the order they were read (file order or `ORDER BY seq`). */
  readonly entries: readonly AuditRecord[];
  readonly checkpoints: readonly CheckpointRecord[];
  /** Public keys of the station (RFC 7517 JWK Set) that signed the checkpoints. */
  readonly jwks: JSONWebKeySet;
  /**
   * The entry just before `entries[0]`, when known (the previous page of a live verification).
   * Without it, an export window that does not start at seq 1 takes its first `prevHash` as given;
   * checkpoints inside the window still pin it.
   */
  readonly anchor?: { readonly seq: number; readonly hash: string };
  /** The chain head the store claims (live verification): entries must end exactly there. */
  readonly expectedHead?: { readonly seq: number; readonly hash: string };
}

/**
 * Verify a stretch of the audit trail: every hash link, every checkpoint signature, and that
 * every checkpoint inside the stretch matches the entries. Pure: no database, no network, so it
 * runs offline on an export (`harbour audit verify`), on the live store page by page, and in
 * other packs (the compliance report). Returns the *first* problem, classified:
 *
 * - `altered`: an entry's contents no longer match its hash, or a rewritten hash breaks the link;
 * - `removed`: a sequence number is missing (or later entries were renumbered to hide it);
 * - `reordered`: an entry appears out of sequence or links to a later one;
 * - `inserted`: an entry that the chain does not link through (its successor links past it);
 * - `bad_checkpoint`: a checkpoint's signature or statement does not verify.
 */
export async function verifyAuditTrail(input: TrailInput): Promise<TrailVerification> {
  const E = input.entries;
  let checkpointsChecked = 0;
  const result = (failure: TrailFailure | null, checked: number): TrailVerification => ({
    ok: failure === null,
    entriesChecked: checked,
    checkpointsChecked,
    firstSeq: E[0]?.seq ?? null,
    lastSeq: E.length ? E[E.length - 1]!.seq : null,
    failure,
  });

  // 1. Checkpoint signatures and statements (RFC 7515 compact JWS, ES256, typ pinned).
  const keys = createLocalJWKSet(input.jwks);
  const bySize = new Map<number, CheckpointRecord>();
  for (const c of [...input.checkpoints].sort((a, b) => a.treeSize - b.treeSize)) {
    try {
      const { payload, protectedHeader } = await compactVerify(c.jws, keys, { algorithms: ['ES256'] });
      if (protectedHeader.typ !== CHECKPOINT_JWS_TYPE) throw new Error('typ');
      const st = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      if (st['treeSize'] !== c.treeSize || st['headHash'] !== c.headHash || st['time'] !== c.time) throw new Error('statement');
    } catch {
      return result(
        {
          kind: 'bad_checkpoint',
          seq: c.treeSize,
          message: `checkpoint at tree size ${c.treeSize} has no valid station signature over its statement`,
        },
        0,
      );
    }
    bySize.set(c.treeSize, c);
    checkpointsChecked++;
  }

  // 2. The chain, entry by entry.
  const laterHas = (from: number, pred: (r: AuditRecord) => boolean): boolean => {
    for (let j = from; j < E.length; j++) if (pred(E[j]!)) return true;
    return false;
  };
  let prev: { seq: number; hash: string; prevHash: string | undefined } | undefined = input.anchor
    ? { seq: input.anchor.seq, hash: input.anchor.hash, prevHash: undefined }
    : undefined;
  let lastGoodCheckpoint = input.anchor?.seq ?? (E[0] ? E[0].seq - 1 : 0);
  for (let i = 0; i < E.length; i++) {
    const e = E[i]!;
    const next = E[i + 1];
    const expSeq = prev ? prev.seq + 1 : e.seq;
    if (e.seq !== expSeq) {
      if (e.seq < expSeq) {
        const dup = E.slice(0, i).some((x) => x.seq === e.seq);
        return result(
          dup
            ? { kind: 'inserted', seq: e.seq, message: `entry ${e.seq} appears twice: one copy was inserted` }
            : { kind: 'reordered', seq: e.seq, message: `entry ${e.seq} is out of order (found after entry ${prev?.seq})` },
          i,
        );
      }
      if (laterHas(i + 1, (x) => x.seq === expSeq)) {
        return result({ kind: 'reordered', seq: expSeq, message: `entry ${expSeq} is out of order (found after entry ${e.seq})` }, i);
      }
      const range = e.seq - expSeq > 1 ? `entries ${expSeq} to ${e.seq - 1} are missing` : `entry ${expSeq} is missing`;
      return result({ kind: 'removed', seq: expSeq, message: `${range} (the sequence jumps from ${expSeq - 1} to ${e.seq})` }, i);
    }
    const expPrev = prev ? prev.hash : e.seq === 1 ? GENESIS_HASH : e.prevHash;
    if (e.prevHash !== expPrev) {
      if (prev?.prevHash !== undefined && e.prevHash === prev.prevHash) {
        return result({ kind: 'inserted', seq: prev.seq, message: `entry ${prev.seq} was inserted: entry ${e.seq} links past it` }, i);
      }
      if (laterHas(i + 1, (x) => x.hash === e.prevHash)) {
        return result({ kind: 'reordered', seq: e.seq, message: `entry ${e.seq} was moved: it links to an entry that comes after it` }, i);
      }
      if (chainHash(e.prevHash, { ...hashedBody(e), seq: e.seq + 1 }) === e.hash) {
        return result({ kind: 'removed', seq: e.seq, message: `entry ${e.seq} was removed and the entries after it renumbered` }, i);
      }
      if (e.seq === 1) return result({ kind: 'altered', seq: 1, message: 'entry 1 does not start from the genesis hash' }, i);
      return result(
        {
          kind: 'altered',
          seq: prev ? prev.seq : e.seq,
          message: `entry ${e.seq} does not link to entry ${e.seq - 1}: entry ${e.seq - 1} was altered (its hash rewritten)`,
        },
        i,
      );
    }
    if (chainHash(e.prevHash, hashedBody(e)) !== e.hash) {
      if (next && (next.seq === e.seq || next.prevHash === e.prevHash)) {
        return result({ kind: 'inserted', seq: e.seq, message: `entry ${e.seq} was inserted: the chain links past it` }, i);
      }
      return result({ kind: 'altered', seq: e.seq, message: `entry ${e.seq} was altered: its contents do not match its hash` }, i);
    }
    const cp = bySize.get(e.seq);
    if (cp) {
      if (cp.headHash !== e.hash) {
        return result(
          {
            kind: 'altered',
            seq: lastGoodCheckpoint + 1,
            message: `the chain up to entry ${e.seq} differs from the checkpoint signed at ${cp.time}: entries ${lastGoodCheckpoint + 1} to ${e.seq} were rewritten`,
          },
          i,
        );
      }
      lastGoodCheckpoint = e.seq;
    }
    prev = { seq: e.seq, hash: e.hash, prevHash: e.prevHash };
  }

  // 3. The end: a checkpoint or the claimed head beyond the last entry means entries were removed.
  const last = prev?.seq ?? input.anchor?.seq ?? 0;
  const firstSeq = E[0]?.seq ?? last + 1;
  for (const c of bySize.values()) {
    if (c.treeSize > last) {
      return result(
        {
          kind: 'removed',
          seq: last + 1,
          message: `a checkpoint covers ${c.treeSize} entries but the trail ends at ${last}: entries from ${last + 1} were removed`,
        },
        E.length,
      );
    }
    if (c.treeSize >= firstSeq && !E.some((x) => x.seq === c.treeSize)) {
      return result({ kind: 'removed', seq: c.treeSize, message: `entry ${c.treeSize}, pinned by a checkpoint, is missing` }, E.length);
    }
  }
  if (input.expectedHead) {
    const h = input.expectedHead;
    if (h.seq > last)
      return result(
        {
          kind: 'removed',
          seq: last + 1,
          message: `the chain head is at ${h.seq} but the trail ends at ${last}: entries from ${last + 1} were removed`,
        },
        E.length,
      );
    if (h.seq < last)
      return result(
        { kind: 'inserted', seq: h.seq + 1, message: `entries after the chain head (${h.seq}) were inserted, from ${h.seq + 1}` },
        E.length,
      );
    if (prev && prev.hash !== h.hash)
      return result({ kind: 'altered', seq: last, message: `entry ${last} does not match the chain head` }, E.length);
  }
  return result(null, E.length);
}
