import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { allocate, allocateBig, exactIntegerWeights } from './allocation.js';

const sumBig = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);

test('worked examples', () => {
  assert.deepEqual(allocate(100, [1, 1, 1]), [34, 33, 33]); // tie: lower index first
  assert.deepEqual(allocate(100, [0, 1, 1]), [0, 50, 50]);
  assert.deepEqual(allocate(10, [3, 7]), [3, 7]);
  assert.deepEqual(allocate(1, [1, 1]), [1, 0]);
  assert.deepEqual(allocate(7, [5]), [7]);
  assert.deepEqual(allocate(0, [0, 0]), [0, 0]);
  assert.deepEqual(allocate(-100, [1, 1, 1]), [-34, -33, -33]);
  assert.deepEqual(allocate(5, [0.1, 0.2, 0.7]), [1, 1, 3]); // exact values: 0.1 and 0.2 are a hair above, 0.7 a hair below
  assert.deepEqual(allocate(3n, [1e308, 1e308, 5e-324]), [2, 1, 0]);
});

test('refuses what it cannot allocate', () => {
  assert.throws(() => allocate(1, []), RangeError);
  assert.throws(() => allocate(1, [0, 0]), RangeError);
  assert.throws(() => allocate(1, [-1, 2]), RangeError);
  assert.throws(() => allocate(1, [Number.NaN]), RangeError);
  assert.throws(() => allocate(1, [Infinity]), RangeError);
  assert.throws(() => allocate(1.5, [1]), RangeError);
  assert.throws(() => allocate(2n ** 60n, [1]), RangeError); // part beyond 2^53: use allocateBig
});

test('exact integer weights keep ratios', () => {
  assert.deepEqual(exactIntegerWeights([0.5, 0.25, 0]), [2n, 1n, 0n]);
  assert.deepEqual(exactIntegerWeights([3, 6]), [3n, 6n]);
});

const weight = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 1000 }),
  fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: 0, max: Number.MAX_VALUE, noNaN: true, noDefaultInfinity: true }),
  fc.constant(Number.MIN_VALUE),
);
const weights = fc.array(weight, { minLength: 1, maxLength: 40 }).filter((ws) => ws.some((w) => w > 0));
const amount = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.maxSafeInteger(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);

test('property: parts sum to the whole, no lost or invented penny', () => {
  fc.assert(
    fc.property(amount, weights, (total, ws) => {
      const parts = allocateBig(BigInt(total), ws);
      assert.equal(parts.length, ws.length);
      assert.equal(sumBig(parts), BigInt(total));
    }),
    { numRuns: 2000 },
  );
});

test('property: huge bigint totals still sum exactly', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), weights, (total, ws) => {
      assert.equal(sumBig(allocateBig(total, ws)), total);
    }),
  );
});

test('property: each part is the floor or ceiling of its exact quota; zero weight gets zero', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000_000 }), weights, (total, ws) => {
      const parts = allocateBig(BigInt(total), ws);
      const w = exactIntegerWeights(ws);
      const W = sumBig(w);
      parts.forEach((p, i) => {
        const wi = w[i] ?? 0n;
        const floor = (BigInt(total) * wi) / W;
        assert.ok(p === floor || p === floor + 1n, `part ${i}`);
        if (wi === 0n) assert.equal(p, 0n);
      });
    }),
    { numRuns: 1000 },
  );
});

test('property: single weight takes everything; deterministic; negation mirrors', () => {
  fc.assert(
    fc.property(
      amount,
      weight.filter((w) => w > 0),
      weights,
      (total, w, ws) => {
        assert.deepEqual(allocateBig(BigInt(total), [w]), [BigInt(total)]);
        assert.deepEqual(allocateBig(BigInt(total), ws), allocateBig(BigInt(total), [...ws]));
        assert.deepEqual(
          allocateBig(BigInt(-total), ws),
          allocateBig(BigInt(total), ws).map((p) => -p),
        );
      },
    ),
  );
});

test('property: scaling every weight by a power of two changes nothing', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 20 }).filter((ws) => ws.some((w) => w > 0)),
      (total, ws) => {
        assert.deepEqual(
          allocate(total, ws),
          allocate(
            total,
            ws.map((w) => w * 1024),
          ),
        );
      },
    ),
  );
});
