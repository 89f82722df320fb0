import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DomainError } from '@harbour/errors';
import { cellsToSuppress, protectBreakdown, protectCount, roundSignificant, roundToBase } from './disclosure-control.js';
import { DEFAULT_SDC_POLICY, effectiveSdcPolicy } from './sdc-policy.js';

const P = DEFAULT_SDC_POLICY;

test('primary suppression below 10 (but not 0), rounding to 5 otherwise', () => {
  assert.deepEqual(protectCount(0, P), { value: 0, suppressed: false, rounded: false });
  for (const n of [1, 5, 9]) assert.deepEqual(protectCount(n, P), { value: null, suppressed: true, rounded: false });
  assert.deepEqual(protectCount(10, P), { value: 10, suppressed: false, rounded: true });
  assert.equal(protectCount(12, P).value, 10);
  assert.equal(protectCount(13, P).value, 15);
  assert.equal(protectCount(1234, P).value, 1235);
  assert.equal(roundToBase(3, 100), 100); // never rounded to a misleading 0
});

test('secondary suppression: one small cell drags in the next smallest', () => {
  const r = protectBreakdown(
    'sex',
    103,
    [
      { key: 'female', n: 3 },
      { key: 'male', n: 60 },
      { key: 'other', n: 0 },
      { key: 'unknown', n: 40 },
    ],
    P,
    true,
  );
  assert.deepEqual(
    r.cells.map((c) => [c.key, c.value, c.suppressed]),
    [
      ['female', null, true],
      ['male', 60, false],
      ['other', 0, false],
      ['unknown', null, true],
    ],
  );
  assert.equal(r.total.value, 105);
  // Actions name the suppressed cells without saying which was primary.
  assert.deepEqual(r.actions[0], { rule: 'suppression', target: 'sex', cells: ['female', 'unknown'] });
});

test('secondary suppression continues until the suppressed cells hold at least the threshold', () => {
  const s = cellsToSuppress(
    100,
    [
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
      { key: 'c', n: 5 },
      { key: 'd', n: 92 },
    ],
    P,
    true,
  );
  // a, b, c are all primary (sum 8 < 10), so the next smallest (d) must go too.
  assert.deepEqual([...s].sort(), ['a', 'b', 'c', 'd']);
});

test('a suppressed total suppresses every non-zero cell', () => {
  const r = protectBreakdown(
    'sex',
    7,
    [
      { key: 'female', n: 7 },
      { key: 'male', n: 0 },
    ],
    P,
    true,
  );
  assert.equal(r.total.suppressed, true);
  assert.equal(r.cells[0]?.suppressed, true);
  assert.equal(r.cells[1]?.value, 0);
});

test('non-additive breakdowns (codes) get primary suppression only', () => {
  const r = protectBreakdown(
    'code',
    100,
    [
      { key: 's|a', n: 3 },
      { key: 's|b', n: 50 },
    ],
    P,
    false,
  );
  assert.equal(r.cells[1]?.value, 50);
});

test('property: no suppressed cell of an additive breakdown can be recovered from the total and the other cells', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 8 }), (ns) => {
      const cells = ns.map((n, i) => ({ key: `k${i}`, n }));
      const total = ns.reduce((a, b) => a + b, 0);
      const s = cellsToSuppress(total, cells, P, true);
      const suppressed = cells.filter((c) => s.has(c.key));
      // Every primary cell is suppressed.
      for (const c of cells) if (c.n > 0 && c.n < P.threshold) assert.ok(s.has(c.key));
      if (total >= P.threshold && suppressed.length > 0) {
        // Never a lone suppressed cell, and what is recoverable (their sum) is not small.
        assert.ok(suppressed.length >= 2);
        assert.ok(suppressed.reduce((a, c) => a + c.n, 0) >= P.threshold);
      }
    }),
    { numRuns: 500 },
  );
});

test('policies combine strictest-wins and cannot loosen the defaults', () => {
  const p = effectiveSdcPolicy([{ threshold: 20 }, { threshold: 5, roundingBase: 10 }, { rateLimitMax: 3 }]);
  assert.equal(p.threshold, 20);
  assert.equal(p.roundingBase, 10);
  assert.equal(p.rateLimitMax, 3);
  assert.equal(effectiveSdcPolicy({ threshold: 2 }).threshold, 10);
  assert.throws(() => effectiveSdcPolicy({ threshold: 1.5 }), DomainError);
  assert.throws(() => effectiveSdcPolicy({ nope: 1 } as never), DomainError);
});

test('statistics are rounded to significant figures', () => {
  assert.equal(roundSignificant(52.3456, 3), 52.3);
  assert.equal(roundSignificant(0.012345, 3), 0.0123);
});
