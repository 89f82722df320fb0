import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { AuditRecord } from './audit-record.js';

/** The part of an entry that is hashed: everything but the two hashes. */
export type HashedBody = Omit<AuditRecord, 'prevHash' | 'hash'>;

export function hashedBody(r: AuditRecord): HashedBody {
  const { prevHash: _p, hash: _h, ...body } = r;
  return body;
}

/** `SHA-256(prevHash || canonicalJson(body))`, hex. `prevHash` is the previous entry's hash as 32 raw bytes. */
export function chainHash(prevHash: string, body: HashedBody): string {
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(canonicalJson(body), 'utf8').digest('hex');
}
