import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { decrypt, encrypt } from '@harbour/vault';
import { openStream, sealStream } from './sealed-stream.js';

const key = randomBytes(32);
const enc = (p: Buffer): Buffer => encrypt(key, p, 1);
const dec = (b: Buffer): Buffer => decrypt(key, b).plaintext;

async function pipeAll(src: Buffer | Buffer[], t: NodeJS.ReadWriteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of Readable.from(Array.isArray(src) ? src : [src]).pipe(t)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('seal then open gives the plaintext back, for sizes around the chunk boundary', async () => {
  for (const size of [0, 1, 1023, 1024, 1025, 5000]) {
    const plain = randomBytes(size);
    const sealed = await pipeAll([plain.subarray(0, size >> 1), plain.subarray(size >> 1)], sealStream(enc, 1024));
    // Only a long enough prefix can be searched for: a 1-byte plaintext turns up in random ciphertext by chance.
    if (size >= 16) assert.ok(!sealed.includes(plain.subarray(0, 16)));
    assert.ok((await pipeAll(sealed, openStream(dec))).equals(plain), `size ${size}`);
  }
});

test('truncation, reordering, tampering and a foreign key are detected', async () => {
  const plain = randomBytes(4096);
  const sealed = await pipeAll(plain, sealStream(enc, 1024));
  const frames: Buffer[] = [];
  let at = 20;
  while (at < sealed.length) {
    const len = sealed.readUInt32BE(at);
    frames.push(sealed.subarray(at, at + 4 + len));
    at += 4 + len;
  }
  const head = sealed.subarray(0, 20);
  await assert.rejects(pipeAll(Buffer.concat([head, ...frames.slice(0, -1)]), openStream(dec)), /truncated/);
  await assert.rejects(pipeAll(Buffer.concat([head, frames[1]!, frames[0]!, ...frames.slice(2)]), openStream(dec)), /out of order/);
  const flipped = Buffer.from(sealed);
  flipped[flipped.length - 5]! ^= 1;
  await assert.rejects(pipeAll(flipped, openStream(dec)), /authenticate/);
  const other = randomBytes(32);
  await assert.rejects(
    pipeAll(
      sealed,
      openStream((b) => decrypt(other, b).plaintext),
    ),
    /authenticate/,
  );
  const another = await pipeAll(randomBytes(4096), sealStream(enc, 1024));
  await assert.rejects(
    pipeAll(Buffer.concat([head, frames[0]!, another.subarray(20 + 4 + another.readUInt32BE(20))]), openStream(dec)),
    /another object|out of order/,
  );
});
