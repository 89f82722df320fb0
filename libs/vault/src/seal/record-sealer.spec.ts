import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { decrypt, newDataKey } from '../vault-crypto.js';
import { RecordSealer } from './record-sealer.js';

test('record sealer: the worker thread and the calling thread seal alike, in order', async () => {
  const key = newDataKey();
  const fpKey = Buffer.alloc(32, 9);
  const sealer = new RecordSealer(key, 3, fpKey);
  try {
    const texts = Array.from({ length: 700 }, (_, i) =>
      JSON.stringify({ n: i, note: i % 7 === 0 ? 'naïve — ünïcode ✓' : 'x'.repeat(i % 50) }),
    );
    for (const batch of [texts.slice(0, 10), texts, texts.slice(0, 5)]) {
      const sealed = await sealer.seal(batch);
      assert.equal(sealed.length, batch.length);
      sealed.forEach((s, i) => {
        const { plaintext, keyVersion } = decrypt(key, s.ciphertext);
        assert.equal(plaintext.toString('utf8'), batch[i]);
        assert.equal(keyVersion, 3);
        assert.equal(s.fingerprint, createHmac('sha256', fpKey).update(batch[i]!).digest('base64url'));
      });
    }
    assert.equal(sealer.fingerprint(texts[1]!), createHmac('sha256', fpKey).update(texts[1]!).digest('base64url'));
  } finally {
    await sealer.close();
  }
  await assert.rejects(sealer.seal(['after close']));
});
