import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { differingBuckets, encodeSketch, isDifferencingRisk, SKETCH_BUCKET_MASK, type SketchRow } from './cohort-sketch.js';

/** The same construction as the SQL, with sha-256 standing in for hashtextextended. */
function sketch(ids: readonly number[]): Buffer {
  const buckets = new Map<number, { n: number; x: bigint }>();
  for (const id of ids) {
    const h = createHash('sha256').update(String(id)).digest().readBigInt64LE(0);
    const b = Number(h & BigInt(SKETCH_BUCKET_MASK));
    const cur = buckets.get(b) ?? { n: 0, x: 0n };
    buckets.set(b, { n: cur.n + 1, x: cur.x ^ h });
  }
  const rows: SketchRow[] = [...buckets].map(([bucket, v]) => ({ bucket, n: v.n, x: BigInt.asIntN(64, v.x).toString() }));
  return encodeSketch(rows);
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

test('identical cohorts do not differ; a one-person difference is caught at any size', () => {
  const big = range(0, 50_000);
  assert.equal(differingBuckets(sketch(big), sketch([...big].reverse())), 0);
  assert.equal(isDifferencingRisk(sketch(big), sketch(range(1, 50_000)), 10), true);
  assert.equal(isDifferencingRisk(sketch(big), sketch([...range(0, 49_999), 99_999]), 10), true); // one swapped
});

test('differences of at least the threshold are allowed', () => {
  assert.equal(isDifferencingRisk(sketch(range(0, 1000)), sketch(range(0, 900)), 10), false);
  assert.equal(isDifferencingRisk(sketch(range(0, 1000)), sketch(range(500, 2000)), 10), false);
});

test('every difference in 1..9 is refused (D ≤ |Δ| and D ≥ 1)', () => {
  const base = range(0, 5000);
  for (let k = 1; k < 10; k++) assert.equal(isDifferencingRisk(sketch(base), sketch(range(k, 5000)), 10), true, `k=${k}`);
});
