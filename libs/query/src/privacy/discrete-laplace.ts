import { randomInt } from 'node:crypto';

/**
 * Exact sampling of the discrete Laplace distribution (two-sided geometric):
 *   P(X = x) ∝ exp(−|x| / scale),  scale = t / s  (positive integers),
 * following Canonne, Kamath & Steinke, "The Discrete Gaussian for Differential Privacy"
 * (NeurIPS 2020), Algorithms 1–2. Only integer arithmetic and uniform integers from the
 * operating system's CSPRNG (`crypto.randomInt`) are used: no floating-point logarithms, whose
 * rounding artefacts break the privacy guarantee of textbook Laplace samplers (Mironov, CCS 2012).
 *
 * Adding X to a count of L1-sensitivity Δ with scale = Δ/ε is ε-differentially private.
 */

/** A uniform integer in [0, n). `randomInt` needs n ≤ 2^48. */
export type UniformSource = (n: number) => number;
const cryptoUniform: UniformSource = (n) => randomInt(0, n);

const MAX_DENOMINATOR = 2 ** 47;

function bernoulli(num: number, den: number, u: UniformSource): boolean {
  if (den > MAX_DENOMINATOR) throw new Error('noise parameter too fine');
  return u(den) < num;
}

/** Bernoulli(exp(−num/den)) for 0 ≤ num/den ≤ 1 (CKS Algorithm 1, first part). */
function bernoulliExpUnit(num: number, den: number, u: UniformSource): boolean {
  let k = 1;
  while (bernoulli(num, den * k, u)) k++;
  return k % 2 === 1;
}

/** Bernoulli(exp(−num/den)) for num/den ≥ 0. */
function bernoulliExp(num: number, den: number, u: UniformSource): boolean {
  let n = num;
  while (n > den) {
    if (!bernoulliExpUnit(1, 1, u)) return false;
    n -= den;
  }
  return bernoulliExpUnit(n, den, u);
}

/** Geometric: the number of failures before success, success probability 1 − exp(−s/t). */
function geometricExp(s: number, t: number, u: UniformSource): number {
  let uu: number;
  do uu = u(t);
  while (!bernoulliExp(uu, t, u));
  let v = 0;
  while (bernoulliExp(1, 1, u)) v++;
  return Math.floor((v * t + uu) / s);
}

/** One draw of discrete Laplace noise with scale t/s. */
export function sampleDiscreteLaplace(t: number, s: number, u: UniformSource = cryptoUniform): number {
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s) || t <= 0 || s <= 0)
    throw new Error('scale must be a ratio of positive integers');
  for (;;) {
    const negative = bernoulli(1, 2, u);
    const magnitude = geometricExp(s, t, u);
    if (negative && magnitude === 0) continue; // so that 0 is not counted twice
    return negative ? -magnitude : magnitude;
  }
}

/** Epsilon is handled in thousandths so budgets add up exactly (no float drift). */
export const EPSILON_UNIT = 1000;

export function epsilonToMilli(epsilon: number): number {
  return Math.round(epsilon * EPSILON_UNIT);
}

/**
 * Noise for a vector of counts of L1-sensitivity `sensitivity`, at privacy loss
 * `epsilonMilli / 1000`: scale = sensitivity / ε = sensitivity·1000 / epsilonMilli.
 */
export function noisyCounts(
  counts: readonly number[],
  sensitivity: number,
  epsilonMilli: number,
  u: UniformSource = cryptoUniform,
): { values: number[]; scale: string } {
  const t = sensitivity * EPSILON_UNIT;
  const values = counts.map((n) => n + sampleDiscreteLaplace(t, epsilonMilli, u));
  return { values, scale: `${t}/${epsilonMilli}` };
}
