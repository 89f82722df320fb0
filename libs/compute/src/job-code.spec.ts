import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CODE_BYTES, jobCodeSha256, prepareJobCode } from './job-code.js';

test('the recorded hash is sha-256 of the code as submitted', () => {
  assert.equal(jobCodeSha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('TypeScript loses its types and keeps its module shape; JavaScript is untouched', async () => {
  const ts = await prepareJobCode('enum K { A = 1 }\nexport function main(x: number): K { return K.A + x as K; }', 'ts');
  assert.ok(ts.ok);
  assert.doesNotMatch(ts.javascript, /: number|: K/);
  assert.match(ts.javascript, /export function main/);
  const js = await prepareJobCode('export const x = 1 // comment', 'js');
  assert.ok(js.ok);
  assert.equal(js.javascript, 'export const x = 1 // comment');
});

test('unparseable TypeScript and oversized code are refused', async () => {
  const bad = await prepareJobCode('export function (: {', 'ts');
  assert.equal(bad.ok, false);
  const big = await prepareJobCode('x'.repeat(MAX_CODE_BYTES + 1), 'js');
  assert.equal(big.ok, false);
});
