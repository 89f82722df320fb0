import type { BreakdownCell, Cell, SdcAction } from '../query.types.js';
import type { SdcPolicy } from './sdc-policy.js';

/**
 * Statistical disclosure control of counts (pure functions). Rules, documented in the README:
 *
 * 1. Primary suppression: a count in 1 … threshold−1 is released as null. Zero is released as 0
 *    (an exact zero is not rounded).
 * 2. Rounding: every other count is rounded to the nearest multiple of `roundingBase` (never to 0).
 * 3. Secondary suppression, for a 1-D breakdown whose cells add up to the released total (sex,
 *    age band: each person in exactly one cell; trust: conservatively treated the same, a person
 *    known to two trusts only makes cells sum to more): whenever any cell is suppressed, keep
 *    suppressing the smallest remaining non-zero cell until (a) at least two cells are suppressed
 *    and (b) the suppressed cells together hold at least `threshold` persons. Then
 *    total − Σ(released cells) only yields the sum of ≥ 2 suppressed cells, which is itself
 *    ≥ threshold and says nothing exact about any one of them; rounding of the released cells
 *    and the total blurs even that sum by up to ±(base/2)·(cells+1). If the total itself is
 *    suppressed, every non-zero cell is (they are no larger than the total).
 * Which suppressed cells were primary and which secondary is never reported: that would tell
 * the reader which ones are small.
 */

export interface RawCell {
  readonly key: string;
  readonly n: number;
}

export function roundToBase(n: number, base: number): number {
  if (n === 0 || base <= 1) return n;
  return Math.max(base, Math.round(n / base) * base);
}

const suppressedCell: Cell = Object.freeze({ value: null, suppressed: true, rounded: false });
const zeroCell: Cell = Object.freeze({ value: 0, suppressed: false, rounded: false });

/** A single count (a feasibility total), with primary suppression and rounding. */
export function protectCount(n: number, policy: SdcPolicy): Cell {
  if (!Number.isInteger(n) || n < 0) throw new Error('a count is a non-negative integer');
  if (n === 0) return zeroCell;
  if (n < policy.threshold) return suppressedCell;
  return { value: roundToBase(n, policy.roundingBase), suppressed: false, rounded: policy.roundingBase > 1 };
}

export interface ProtectedBreakdown {
  readonly total: Cell;
  readonly cells: readonly BreakdownCell[];
  readonly actions: readonly SdcAction[];
}

/** Keys of the cells to suppress: primary, then secondary while the rule above is unmet. */
export function cellsToSuppress(total: number, cells: readonly RawCell[], policy: SdcPolicy, additive: boolean): Set<string> {
  const out = new Set<string>();
  for (const c of cells) if (c.n > 0 && (c.n < policy.threshold || (total > 0 && total < policy.threshold))) out.add(c.key);
  if (!additive || out.size === 0) return out;
  const sum = (): number => cells.reduce((s, c) => s + (out.has(c.key) ? c.n : 0), 0);
  // Smallest first; ties broken by key so the choice is deterministic (and not data-ordered).
  const candidates = cells
    .filter((c) => c.n > 0 && !out.has(c.key))
    .sort((a, b) => a.n - b.n || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const c of candidates) {
    if (out.size >= 2 && sum() >= policy.threshold) break;
    out.add(c.key);
  }
  return out;
}

/**
 * Protect a 1-D breakdown and its total. `additive`: the cells add up to (or, for overlapping
 * categories, at least to) the total, so secondary suppression is needed; code breakdowns
 * (a person may have several codes) are not additive.
 */
export function protectBreakdown(
  target: string,
  total: number,
  cells: readonly RawCell[],
  policy: SdcPolicy,
  additive: boolean,
): ProtectedBreakdown {
  const suppress = cellsToSuppress(total, cells, policy, additive);
  const protectedCells: BreakdownCell[] = cells.map((c) => {
    if (c.n === 0) return { key: c.key, ...zeroCell };
    if (suppress.has(c.key)) return { key: c.key, ...suppressedCell };
    return { key: c.key, value: roundToBase(c.n, policy.roundingBase), suppressed: false, rounded: policy.roundingBase > 1 };
  });
  const actions: SdcAction[] = [];
  if (suppress.size > 0) actions.push({ rule: 'suppression', target, cells: cells.filter((c) => suppress.has(c.key)).map((c) => c.key) });
  if (protectedCells.some((c) => c.rounded)) actions.push({ rule: 'rounding', target, base: policy.roundingBase });
  return { total: protectCount(total, policy), cells: protectedCells, actions };
}

/** Round to `sf` significant figures: published statistics never carry a patient's exact value. */
export function roundSignificant(x: number, sf: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(sf));
}
