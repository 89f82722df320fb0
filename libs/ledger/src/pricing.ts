import { allocateBig } from './allocation.js';

/**
 * The billable actions other capabilities meter (each proven by an audit entry), and how an
 * agreement prices and shares them. Pure: no I/O, so the rules are tested exhaustively.
 */
export const BILLABLE_EVENT_KINDS = [
  'query.executed',
  'compute.minutes',
  'output.released',
  'imaging.study_retrieved',
  'fee.period',
] as const;
export type BillableEventKind = (typeof BILLABLE_EVENT_KINDS)[number];

export function isBillableEventKind(s: string): s is BillableEventKind {
  return (BILLABLE_EVENT_KINDS as readonly string[]).includes(s);
}

/** Fees the partner pays, integer pence per unit. */
export interface FeeSchedule {
  /** Per accounting period (metered as one `fee.period` event per project and period). */
  readonly fixedPerPeriodPence: number;
  readonly perQueryPence: number;
  /** Compute is metered in whole minutes (the compute capability rounds up). */
  readonly perComputeMinutePence: number;
  readonly perOutputReleasedPence: number;
  readonly perImagingStudyPence: number;
}

/**
 * How the trusts' share of each event is split among them:
 * - `contribution` (default): in proportion to the patients each trust contributed to the event,
 *   as recorded at the time of the event;
 * - `equal`: equally among the agreement's trusts;
 * - `fixed`: by the agreement's fixed weights.
 */
export const SPLIT_METHODS = ['contribution', 'equal', 'fixed'] as const;
export type SplitMethod = (typeof SPLIT_METHODS)[number];

/** The terms `priceEvent` needs from an agreement version. */
export interface PricingTerms {
  readonly fees: FeeSchedule;
  /** Share of each event's fee that goes to the contributing trusts, in basis points (400 = 4%). */
  readonly trustShareBps: number;
  readonly splitMethod: SplitMethod;
  /** The agreement's trusts with their fixed weights (weights matter only for `fixed`). */
  readonly trusts: readonly { readonly trustId: string; readonly weight: number }[];
}

export interface Contribution {
  readonly trustId: string;
  /** Patients of this trust that contributed to the event (e.g. rows in the query's cohort). */
  readonly patients: number;
}

export interface TrustSplit {
  readonly trustId: string;
  readonly patients: number;
  readonly sharePence: number;
}

export interface EventPricing {
  readonly unitPricePence: number;
  readonly amountPence: number;
  readonly trustSharePence: number;
  readonly stationRevenuePence: number;
  /** One entry per trust that contributed or shares, ordered by trust id. */
  readonly splits: readonly TrustSplit[];
}

export const BPS_WHOLE = 10_000;

export function unitPriceFor(kind: BillableEventKind, fees: FeeSchedule): number {
  switch (kind) {
    case 'query.executed':
      return fees.perQueryPence;
    case 'compute.minutes':
      return fees.perComputeMinutePence;
    case 'output.released':
      return fees.perOutputReleasedPence;
    case 'imaging.study_retrieved':
      return fees.perImagingStudyPence;
    case 'fee.period':
      return fees.fixedPerPeriodPence;
  }
}

/**
 * The trusts' share of one fee: fee × bps / 10 000 rounded half-up to the penny (a largest-remainder
 * split of the fee in two, where a tie goes to the trusts). Applied per event, at the time of the
 * event, so the postings never depend on later events.
 */
export function trustShareOf(amountPence: number, trustShareBps: number): number {
  const [share] = allocateBig(BigInt(amountPence), [trustShareBps, BPS_WHOLE - trustShareBps]);
  return Number(share ?? 0n);
}

/**
 * Price one billable event and split the trusts' share. Throws RangeError for inputs the rules
 * cannot price (the service turns it into `invalid_request`).
 */
export function priceEvent(
  event: { kind: BillableEventKind; quantity: number; contributions: readonly Contribution[] },
  terms: PricingTerms,
): EventPricing {
  if (!Number.isSafeInteger(event.quantity) || event.quantity < 0) throw new RangeError('quantity must be a non-negative whole number');
  const seen = new Set<string>();
  for (const c of event.contributions) {
    if (!Number.isSafeInteger(c.patients) || c.patients < 0)
      throw new RangeError('contribution patients must be non-negative whole numbers');
    if (seen.has(c.trustId)) throw new RangeError(`trust ${c.trustId} contributes twice`);
    seen.add(c.trustId);
  }
  const unitPricePence = unitPriceFor(event.kind, terms.fees);
  const amountPence = unitPricePence * event.quantity;
  if (!Number.isSafeInteger(amountPence)) throw new RangeError('amount exceeds the safe integer range');
  const trustSharePence = trustShareOf(amountPence, terms.trustShareBps);

  // Weights by trust, in trust-id order so the split does not depend on the caller's ordering.
  const patients = new Map(event.contributions.map((c) => [c.trustId, c.patients]));
  const weights = new Map<string, number>();
  const equalAmongAgreementTrusts = (): void => {
    for (const t of terms.trusts) weights.set(t.trustId, 1);
  };
  switch (terms.splitMethod) {
    case 'contribution':
      for (const c of event.contributions) weights.set(c.trustId, c.patients);
      // An event no patient contributed to (e.g. the fixed period fee) falls back to an equal
      // split among the agreement's trusts, so the share is never lost.
      if ([...weights.values()].every((w) => w === 0)) equalAmongAgreementTrusts();
      break;
    case 'equal':
      equalAmongAgreementTrusts();
      break;
    case 'fixed':
      for (const t of terms.trusts) weights.set(t.trustId, t.weight);
      break;
  }
  for (const trustId of patients.keys()) if (!weights.has(trustId)) weights.set(trustId, 0);
  const trustIds = [...weights.keys()].sort();
  const w = trustIds.map((id) => weights.get(id) ?? 0);
  if (trustSharePence > 0 && !w.some((x) => x > 0))
    throw new RangeError('no trust to share this event with: give contributions or the agreement trusts');
  const parts = trustIds.length === 0 ? [] : allocateBig(BigInt(trustSharePence), w);
  const splits = trustIds.map((trustId, i) => ({ trustId, patients: patients.get(trustId) ?? 0, sharePence: Number(parts[i] ?? 0n) }));
  return { unitPricePence, amountPence, trustSharePence, stationRevenuePence: amountPence - trustSharePence, splits };
}
