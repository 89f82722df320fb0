import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noisyCounts, sampleDiscreteLaplace } from './discrete-laplace.js';

test('discrete Laplace samples are integers with the expected spread', () => {
  // scale b = 2: P(x) ∝ exp(−|x|/2); variance = 2q/(1−q)² with q = e^(−1/2).
  const n = 20_000;
  const xs = Array.from({ length: n }, () => sampleDiscreteLaplace(2, 1));
  assert.ok(xs.every(Number.isInteger));
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  const q = Math.exp(-0.5);
  const expected = (2 * q) / (1 - q) ** 2;
  assert.ok(Math.abs(mean) < 0.15, `mean ${mean}`);
  assert.ok(Math.abs(variance - expected) / expected < 0.1, `variance ${variance} vs ${expected}`);
  // P(0) = (1 − q)/(1 + q)
  const p0 = xs.filter((x) => x === 0).length / n;
  assert.ok(Math.abs(p0 - (1 - q) / (1 + q)) < 0.02, `p0 ${p0}`);
});

test('noise scale follows sensitivity / epsilon', () => {
  const r = noisyCounts([100, 200], 3, 500);
  assert.equal(r.scale, '3000/500');
  assert.equal(r.values.length, 2);
});
