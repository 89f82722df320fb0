import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BILLABLE_EVENT_KINDS, priceEvent, trustShareOf, type PricingTerms } from './pricing.js';
import { nextPeriod, periodBounds, periodOf } from './periods.js';
import { formatPence } from './money.js';

const fees = {
  fixedPerPeriodPence: 500_000,
  perQueryPence: 250,
  perComputeMinutePence: 12,
  perOutputReleasedPence: 10_000,
  perImagingStudyPence: 75,
};
const terms = (over: Partial<PricingTerms> = {}): PricingTerms => ({
  fees,
  trustShareBps: 400,
  splitMethod: 'contribution',
  trusts: [],
  ...over,
});

test('trust share: 4% rounded half-up per event', () => {
  assert.equal(trustShareOf(250, 400), 10);
  assert.equal(trustShareOf(12, 400), 0); // 0.48p
  assert.equal(trustShareOf(13, 400), 1); // 0.52p
  assert.equal(trustShareOf(25, 200), 1); // exactly 0.5p: half-up, to the trusts
  assert.equal(trustShareOf(100, 10_000), 100);
  assert.equal(trustShareOf(100, 0), 0);
});

test('contribution split in proportion to patients, ordered by trust id', () => {
  const p = priceEvent(
    {
      kind: 'query.executed',
      quantity: 1,
      contributions: [
        { trustId: 'c', patients: 1 },
        { trustId: 'a', patients: 2 },
        { trustId: 'b', patients: 0 },
      ],
    },
    terms({ trustShareBps: 1200 }),
  );
  assert.equal(p.amountPence, 250);
  assert.equal(p.trustSharePence, 30);
  assert.equal(p.stationRevenuePence, 220);
  assert.deepEqual(p.splits, [
    { trustId: 'a', patients: 2, sharePence: 20 },
    { trustId: 'b', patients: 0, sharePence: 0 },
    { trustId: 'c', patients: 1, sharePence: 10 },
  ]);
});

test('no contributing patients falls back to equal among the agreement trusts', () => {
  const p = priceEvent(
    { kind: 'fee.period', quantity: 1, contributions: [] },
    terms({
      trusts: [
        { trustId: 'x', weight: 1 },
        { trustId: 'y', weight: 1 },
        { trustId: 'z', weight: 1 },
      ],
    }),
  );
  assert.equal(p.trustSharePence, 20_000);
  assert.deepEqual(
    p.splits.map((s) => s.sharePence),
    [6667, 6667, 6666],
  );
  assert.throws(() => priceEvent({ kind: 'fee.period', quantity: 1, contributions: [] }, terms()), RangeError);
});

test('equal and fixed splits ignore patient counts but record them', () => {
  const trusts = [
    { trustId: 'a', weight: 3 },
    { trustId: 'b', weight: 1 },
  ];
  const eq = priceEvent(
    { kind: 'output.released', quantity: 1, contributions: [{ trustId: 'a', patients: 99 }] },
    terms({ splitMethod: 'equal', trusts }),
  );
  assert.deepEqual(eq.splits, [
    { trustId: 'a', patients: 99, sharePence: 200 },
    { trustId: 'b', patients: 0, sharePence: 200 },
  ]);
  const fx = priceEvent({ kind: 'output.released', quantity: 1, contributions: [] }, terms({ splitMethod: 'fixed', trusts }));
  assert.deepEqual(
    fx.splits.map((s) => s.sharePence),
    [300, 100],
  );
});

test('refuses what cannot be priced', () => {
  assert.throws(() => priceEvent({ kind: 'compute.minutes', quantity: 1.5, contributions: [] }, terms()), RangeError);
  assert.throws(() => priceEvent({ kind: 'compute.minutes', quantity: -1, contributions: [] }, terms()), RangeError);
  assert.throws(
    () =>
      priceEvent(
        {
          kind: 'query.executed',
          quantity: 1,
          contributions: [
            { trustId: 'a', patients: 1 },
            { trustId: 'a', patients: 2 },
          ],
        },
        terms(),
      ),
    RangeError,
  );
  assert.throws(() => priceEvent({ kind: 'query.executed', quantity: Number.MAX_SAFE_INTEGER, contributions: [] }, terms()), RangeError);
});

test('property: fee = trust share + station revenue; trust splits sum to the share', () => {
  const trustIds = ['t1', 't2', 't3', 't4'];
  fc.assert(
    fc.property(
      fc.constantFrom(...BILLABLE_EVENT_KINDS),
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: 0, max: 10_000 }),
      fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 4 }),
      (kind, quantity, bps, counts) => {
        const contributions = counts.map((patients, i) => ({ trustId: trustIds[i] ?? 'x', patients }));
        const p = priceEvent({ kind, quantity, contributions }, terms({ trustShareBps: bps, trusts: [{ trustId: 't1', weight: 1 }] }));
        assert.equal(p.trustSharePence + p.stationRevenuePence, p.amountPence);
        assert.equal(
          p.splits.reduce((a, s) => a + s.sharePence, 0),
          p.trustSharePence,
        );
        assert.ok(p.splits.every((s) => s.sharePence >= 0));
        // Half-up rounding of the exact share, checked with integer arithmetic.
        assert.equal(p.trustSharePence, Math.floor((p.amountPence * bps * 2 + 10_000) / 20_000));
      },
    ),
    { numRuns: 1000 },
  );
});

test('periods are UTC calendar months', () => {
  assert.equal(periodOf(new Date('2025-01-31T23:59:59.999Z')), '2025-01');
  assert.equal(periodOf(new Date('2025-02-01T00:00:00Z')), '2025-02');
  assert.equal(nextPeriod('2025-12'), '2026-01');
  assert.deepEqual(periodBounds('2024-02'), { start: new Date('2024-02-01T00:00:00Z'), end: new Date('2024-03-01T00:00:00Z') });
  assert.throws(() => periodBounds('2024-13'), RangeError);
});

test('pence format exactly', () => {
  assert.equal(formatPence(123456), '1234.56');
  assert.equal(formatPence(5), '0.05');
  assert.equal(formatPence(-5), '-0.05');
  assert.equal(formatPence(0), '0.00');
});
