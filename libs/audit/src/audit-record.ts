import type { AuditAction, AuditPayloads } from './audit-actions.js';

/** Who acted. Ids and roles only: never a name or an e-mail address. */
export interface AuditActor {
  readonly type: 'user' | 'client' | 'system' | 'anonymous';
  readonly id: string | null;
  /** The role the actor acted in (the first of several, when a principal holds many). */
  readonly role: string | null;
  readonly orgType: 'trust' | 'partner' | 'station' | null;
  readonly orgId: string | null;
}

export type AuditOutcome = 'success' | 'failure' | 'denied';

/** What a caller gives `AuditLog.append`. Id, sequence, time, correlation and trace ids are filled in. */
export interface AuditInput<A extends AuditAction = AuditAction> {
  readonly action: A;
  readonly payload: AuditPayloads[A];
  readonly actor: AuditActor;
  readonly target?: { readonly type: string; readonly id: string } | null;
  readonly outcome?: AuditOutcome;
  readonly projectId?: string | null;
  readonly trustId?: string | null;
}

/**
 * One entry of the trail as hashed, stored, exported (`entries.jsonl`) and verified.
 * `hash = SHA-256(prevHash bytes || UTF-8 of canonicalJson(entry without prevHash and hash))`.
 */
export interface AuditRecord {
  readonly seq: number;
  /**
   * The append id, given in the appending transaction (so the ledger can cite it before the
   * entry is chained). Hashed with the rest; absent on entries sealed before append ids existed.
   */
  readonly id?: number;
  readonly at: string;
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly actor: AuditActor;
  readonly target: { readonly type: string; readonly id: string } | null;
  readonly projectId: string | null;
  readonly trustId: string | null;
  readonly correlationId: string | null;
  readonly traceId: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

/** An entry as appended: everything but its append id and its chain position (assigned when sealed). */
export type AuditBody = Omit<AuditRecord, 'seq' | 'id' | 'prevHash' | 'hash'>;

/** The signed statement of a checkpoint: the trail had `treeSize` entries ending in `headHash`. */
export interface CheckpointStatement {
  readonly treeSize: number;
  readonly headHash: string;
  readonly time: string;
}

/** A checkpoint as stored and exported (`checkpoints.jsonl`): the statement and its compact JWS. */
export interface CheckpointRecord extends CheckpointStatement {
  readonly kid: string;
  readonly jws: string;
}

/** Hash "before" the first entry (seq 1). */
export const GENESIS_HASH = '0'.repeat(64);

/** JOSE `typ` of checkpoint signatures (RFC 7515 §4.1.9), so a token can never pass as a checkpoint. */
export const CHECKPOINT_JWS_TYPE = 'harbour-audit-checkpoint+jws';
