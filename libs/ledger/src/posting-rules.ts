import { DomainError } from '@harbour/errors';
import { accountId, ownerOf, type AccountRef } from './accounts.js';
import type { AccountRow, LineRow } from './ledger.repository.js';
import type { EventPricing } from './pricing.js';

/** One side of a posting as a caller states it: exactly one of debit or credit, in pence. */
export interface PostingLine {
  readonly account: AccountRef;
  readonly debitPence?: number;
  readonly creditPence?: number;
}

/**
 * Double entry: every line moves a positive whole number of pence on one side, and the debits equal
 * the credits. Checked here so callers get a clear error; the database checks it again at commit.
 */
export function assertBalanced(lines: readonly PostingLine[]): void {
  if (lines.length === 0) throw new DomainError('unbalanced_posting', 'a posting needs at least two lines');
  let debits = 0n;
  let credits = 0n;
  lines.forEach((l, i) => {
    const d = l.debitPence ?? 0;
    const c = l.creditPence ?? 0;
    if (!Number.isSafeInteger(d) || !Number.isSafeInteger(c) || d < 0 || c < 0 || (d === 0) === (c === 0)) {
      throw new DomainError('unbalanced_posting', `line ${i + 1} must move a positive whole number of pence on exactly one side`);
    }
    debits += BigInt(d);
    credits += BigInt(c);
  });
  if (debits !== credits) throw new DomainError('unbalanced_posting', `debits (${debits}p) do not equal credits (${credits}p)`);
}

/**
 * The posting of a billable event: debit the partner's receivable with the fee, credit each trust's
 * payable with its split of the share, credit station revenue with the rest. Zero amounts are not
 * posted (a free event has an empty, trivially balanced journal).
 */
export function eventPostingLines(partnerId: string, pricing: EventPricing): PostingLine[] {
  const lines: PostingLine[] = [];
  if (pricing.amountPence > 0) lines.push({ account: { kind: 'partner_receivable', partnerId }, debitPence: pricing.amountPence });
  for (const s of pricing.splits)
    if (s.sharePence > 0) lines.push({ account: { kind: 'trust_payable', trustId: s.trustId }, creditPence: s.sharePence });
  if (pricing.stationRevenuePence > 0) lines.push({ account: { kind: 'station_revenue' }, creditPence: pricing.stationRevenuePence });
  return lines;
}

/** Lines and the accounts they need, in one currency. */
export function toLineRows(lines: readonly PostingLine[], currency: string): { accounts: AccountRow[]; rows: LineRow[] } {
  const accounts = new Map<string, AccountRow>();
  const rows = lines.map((l) => {
    const id = accountId(l.account, currency);
    accounts.set(id, { id, kind: l.account.kind, ownerId: ownerOf(l.account), currency });
    return { accountId: id, currency, debitPence: l.debitPence ?? 0, creditPence: l.creditPence ?? 0 };
  });
  return { accounts: [...accounts.values()], rows };
}

/** A reversing entry mirrors the original: each debit becomes a credit of the same amount, and back. */
export function reversingLines(lines: readonly LineRow[]): LineRow[] {
  return lines.map((l) => ({ accountId: l.accountId, currency: l.currency, debitPence: l.creditPence, creditPence: l.debitPence }));
}
