/**
 * Largest-remainder (Hamilton) allocation of an integer amount of pence in proportion to weights.
 *
 * Why exact arithmetic: the ledger must never lose or invent a penny, so the quotas are computed
 * with bigints over the *exact* value of each weight. Every finite IEEE-754 double is a dyadic
 * rational m·2^e, so scaling all weights by one power of two turns them into integers without any
 * rounding (weights may be fractional, tiny, or as large as Number.MAX_VALUE).
 *
 * Rule: each part gets floor(total·w_i / W); the pennies left over (fewer than the number of
 * parts) go one each to the largest remainders; equal remainders go to the lower index first, so
 * the result is deterministic. A zero weight never receives a penny; every part is the floor or the
 * ceiling of its exact quota; the parts always sum to the total. A negative total is allocated as
 * the negation of the allocation of its absolute value (so reversals mirror charges exactly).
 */

/** Exact decomposition of a finite non-negative double into mantissa·2^exponent. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 }; // zero and subnormals
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/** Weights as exact integers sharing one scale (ratios preserved exactly). */
export function exactIntegerWeights(weights: readonly (number | bigint)[]): bigint[] {
  const parts = weights.map((w, i): { mantissa: bigint; exponent: number } => {
    if (typeof w === 'bigint') {
      if (w < 0n) throw new RangeError(`weight ${i} is negative`);
      return { mantissa: w, exponent: 0 };
    }
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weight ${i} must be a finite, non-negative number`);
    return decompose(w);
  });
  // Strip trailing zero bits so the common scale is as small as possible (keeps bigints short).
  for (const p of parts) {
    while (p.mantissa !== 0n && (p.mantissa & 1n) === 0n) {
      p.mantissa >>= 1n;
      p.exponent += 1;
    }
  }
  const minExp = Math.min(...parts.filter((p) => p.mantissa !== 0n).map((p) => p.exponent));
  return parts.map((p) => (p.mantissa === 0n ? 0n : p.mantissa << BigInt(p.exponent - minExp)));
}

/** Largest-remainder allocation over bigints: the primitive the ledger posts with. */
export function allocateBig(total: bigint, weights: readonly (number | bigint)[]): bigint[] {
  if (weights.length === 0) throw new RangeError('allocate needs at least one weight');
  if (total < 0n) return allocateBig(-total, weights).map((p) => -p);
  const w = exactIntegerWeights(weights);
  const sum = w.reduce((a, b) => a + b, 0n);
  if (sum === 0n) {
    if (total === 0n) return w.map(() => 0n);
    throw new RangeError('cannot allocate a non-zero amount over weights that are all zero');
  }
  const parts = w.map((wi) => (total * wi) / sum);
  const remainders = w.map((wi, i) => ({ i, r: (total * wi) % sum }));
  let left = total - parts.reduce((a, b) => a + b, 0n);
  // Largest remainder first; ties to the lower index (stable, so deterministic).
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  for (const { i } of remainders) {
    if (left === 0n) break;
    parts[i] = (parts[i] ?? 0n) + 1n;
    left -= 1n;
  }
  return parts;
}

/**
 * Split `totalPence` in proportion to `weights`; parts sum exactly to the total.
 * Throws RangeError for an unsafe (non-integer or beyond 2^53) total or part.
 */
export function allocate(totalPence: number | bigint, weights: number[]): number[] {
  if (typeof totalPence === 'number' && !Number.isSafeInteger(totalPence))
    throw new RangeError('total must be a safe integer number of pence');
  const parts = allocateBig(BigInt(totalPence), weights);
  return parts.map((p) => {
    if (p > BigInt(Number.MAX_SAFE_INTEGER) || p < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError('a part exceeds the safe integer range: use allocateBig');
    }
    return Number(p);
  });
}
