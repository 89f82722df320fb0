import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPng, parsePngHeader } from './png.js';
import { makePng } from './png-fixture.js';

test('reads width, height, bit depth and colour type from IHDR', () => {
  assert.deepEqual(parsePngHeader(makePng(640, 480)), { width: 640, height: 480, bitDepth: 8, colorType: 2, interlaced: false });
  assert.deepEqual(parsePngHeader(makePng(512, 512, 0, 16)), { width: 512, height: 512, bitDepth: 16, colorType: 0, interlaced: false });
  assert.equal(parsePngHeader(makePng(3, 2, 3, 4))?.colorType, 3);
});

test('rejects what is not a well-formed PNG start', () => {
  const good = makePng(10, 10);
  assert.equal(isPng(good), true);
  assert.equal(parsePngHeader(new Uint8Array(0)), undefined);
  assert.equal(parsePngHeader(new TextEncoder().encode('GIF89a is not a png at all, really')), undefined);
  const wrongChunk = good.slice();
  wrongChunk[12] = 0x58; // "XHDR"
  assert.equal(parsePngHeader(wrongChunk), undefined);
  const zeroWidth = good.slice();
  zeroWidth.fill(0, 16, 20);
  assert.equal(parsePngHeader(zeroWidth), undefined);
  const badDepth = good.slice();
  badDepth[24] = 3; // truecolour allows 8 or 16 only
  assert.equal(parsePngHeader(badDepth), undefined);
  assert.equal(parsePngHeader(good.subarray(0, 20)), undefined);
});

test('works on a view into a larger buffer', () => {
  const png = makePng(7, 9);
  const big = new Uint8Array(png.length + 5);
  big.set(png, 5);
  assert.equal(parsePngHeader(big.subarray(5))?.height, 9);
});
