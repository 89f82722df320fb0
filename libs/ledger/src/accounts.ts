import { createHash } from 'node:crypto';

export const ACCOUNT_KINDS = ['partner_receivable', 'trust_payable', 'station_revenue'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/** Which account a posting line moves. */
export type AccountRef =
  | { readonly kind: 'partner_receivable'; readonly partnerId: string }
  | { readonly kind: 'trust_payable'; readonly trustId: string }
  | { readonly kind: 'station_revenue' };

export const STATION_OWNER_ID = '00000000-0000-0000-0000-000000000000';

/** Fixed namespace for name-based account ids (RFC 9562 §5.5, UUIDv5). Never change it. */
const ACCOUNT_NAMESPACE = Buffer.from('5d1c1b0e8f7a4c2b9a3e6f0d2c4b8a17', 'hex');

export function ownerOf(ref: AccountRef): string {
  switch (ref.kind) {
    case 'partner_receivable':
      return ref.partnerId;
    case 'trust_payable':
      return ref.trustId;
    case 'station_revenue':
      return STATION_OWNER_ID;
  }
}

/**
 * The account's id: a UUIDv5 of (kind, owner, currency). Deterministic, so a posting needs no
 * lookup round trip and concurrent writers creating the same account agree on its id.
 */
export function accountId(ref: AccountRef, currency: string): string {
  const h = createHash('sha1')
    .update(ACCOUNT_NAMESPACE)
    .update(`${ref.kind}:${ownerOf(ref)}:${currency}`)
    .digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
