import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base32Decode, base32Encode, hotp, totp, verifyTotp } from './totp.js';

// RFC 6238 Appendix B test vectors (SHA-1, 8 digits) and RFC 4226 Appendix D (HOTP, 6 digits).
const SECRET = Buffer.from('12345678901234567890', 'ascii');

test('HOTP matches RFC 4226 Appendix D', () => {
  const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];
  expected.forEach((code, counter) => assert.equal(hotp(SECRET, counter), code));
});

test('TOTP matches RFC 6238 Appendix B (SHA-1)', () => {
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  for (const [t, code] of vectors) assert.equal(hotp(SECRET, Math.floor(t / 30), 8), code);
});

test('verifyTotp accepts one step of drift and returns the matched step', () => {
  const now = 1_700_000_000_000;
  const code = totp(SECRET, now - 30_000);
  assert.equal(verifyTotp(SECRET, code, now), Math.floor(now / 30_000) - 1);
  assert.equal(verifyTotp(SECRET, totp(SECRET, now - 90_000), now), undefined);
  assert.equal(verifyTotp(SECRET, 'abcdef', now), undefined);
});

test('base32 round-trips (RFC 4648 §10 vector)', () => {
  assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
  assert.equal(base32Decode('MZXW6YTBOI').toString(), 'foobar');
});
