import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decrypt,
  deriveTrustKek,
  encrypt,
  newDataKey,
  nhsBlindIndex,
  nhsBlindIndexKey,
  recordEncrypter,
  unwrapKey,
  wrapKey,
} from './vault-crypto.js';

const master = Buffer.alloc(32, 3);

test('envelope: wrapped DEK round-trips and encrypts data', () => {
  const kek = deriveTrustKek(master, 'trust-a');
  const dek = newDataKey();
  const wrapped = wrapKey(kek, dek);
  assert.deepEqual(unwrapKey(kek, wrapped), dek);
  const ct = encrypt(dek, Buffer.from('Jane Doe 9434765919'), 3);
  assert.ok(!ct.includes(Buffer.from('9434765919')));
  const { plaintext, keyVersion } = decrypt(dek, ct);
  assert.equal(plaintext.toString(), 'Jane Doe 9434765919');
  assert.equal(keyVersion, 3);
});

test('another trust key cannot unwrap, tampering is detected', () => {
  const wrapped = wrapKey(deriveTrustKek(master, 'trust-a'), newDataKey());
  assert.throws(() => unwrapKey(deriveTrustKek(master, 'trust-b'), wrapped));
  const dek = newDataKey();
  const ct = encrypt(dek, Buffer.from('secret'), 1);
  ct.writeUInt8(ct.readUInt8(ct.length - 1) ^ 1, ct.length - 1);
  assert.throws(() => decrypt(dek, ct));
});

test('blind index is stable and keyed', () => {
  const k = nhsBlindIndexKey(master);
  assert.deepEqual(nhsBlindIndex(k, '9434765919'), nhsBlindIndex(k, '9434765919'));
  assert.notDeepEqual(nhsBlindIndex(k, '9434765919'), nhsBlindIndex(nhsBlindIndexKey(Buffer.alloc(32, 4)), '9434765919'));
});

test('record encrypter: same format as encrypt, a fresh IV for every record across IV blocks', () => {
  const dek = newDataKey();
  const seal = recordEncrypter(dek, 4);
  const ivs = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const ct = seal(Buffer.from(`record ${i}`));
    ivs.add(ct.subarray(5, 17).toString('hex'));
    const { plaintext, keyVersion } = decrypt(dek, ct);
    assert.equal(plaintext.toString(), `record ${i}`);
    assert.equal(keyVersion, 4);
  }
  assert.equal(ivs.size, 3000);
  assert.equal(decrypt(dek, seal(Buffer.alloc(0))).plaintext.length, 0);
});
