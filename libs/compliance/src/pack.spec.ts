import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import { buildManifest, MANIFEST_JWS_TYPE, verifyCompliancePack } from './pack.js';
import { unzipStored, zipStored, ZipFormatError } from './zip.js';

test('store-only zip: round trip, UTF-8 names, deterministic bytes; a flipped byte fails the CRC', () => {
  const files = new Map([
    ['a.txt', Buffer.from('hello\n')],
    ['dir/ünïcode.csv', Buffer.from('x,y\r\n1,2\r\n')],
    ['empty', Buffer.alloc(0)],
  ]);
  const zip = zipStored(files);
  assert.deepEqual(zipStored(files), zip);
  assert.deepEqual(unzipStored(zip), files);
  const bad = Buffer.from(zip);
  const at = 31 + 'a.txt'.length; // inside a.txt's data
  bad.writeUInt8(bad.readUInt8(at) ^ 1, at);
  assert.throws(() => unzipStored(bad), ZipFormatError);
});

async function signedPack(): Promise<{ files: Map<string, Buffer> }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const files = new Map<string, Buffer>([
    ['jwks.json', Buffer.from(JSON.stringify({ keys: [jwk] }))],
    ['entries.jsonl', Buffer.from('')],
    ['checkpoints.jsonl', Buffer.from('')],
    ['report.json', Buffer.from('{"a":1}\n')],
  ]);
  const manifest = buildManifest(files, {
    from: '2026-01-01T00:00:00.000Z',
    to: '2026-02-01T00:00:00.000Z',
    generatedAt: '2026-02-01T00:00:00.000Z',
  });
  const bytes = Buffer.from(JSON.stringify(manifest));
  const jws = await new CompactSign(bytes).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: MANIFEST_JWS_TYPE }).sign(privateKey);
  files.set('manifest.json', bytes).set('manifest.jws', Buffer.from(jws));
  return { files };
}

test('a pack verifies; an altered, missing or extra file, or a re-written manifest, does not', async () => {
  const { files } = await signedPack();
  const ok = await verifyCompliancePack(files);
  assert.equal(ok.ok, true, JSON.stringify(ok.failure));
  assert.equal(ok.kid, 'k1');
  assert.equal(ok.filesChecked, 4);

  const altered = await verifyCompliancePack(new Map(files).set('report.json', Buffer.from('{"a":2}\n')));
  assert.deepEqual([altered.failure?.kind, altered.failure?.path], ['altered_file', 'report.json']);
  const missing = new Map(files);
  missing.delete('report.json');
  assert.equal((await verifyCompliancePack(missing)).failure?.kind, 'missing_file');
  assert.equal((await verifyCompliancePack(new Map(files).set('x.csv', Buffer.from('')))).failure?.kind, 'extra_file');

  // Editing the manifest to match an altered file breaks the signature.
  const m = JSON.parse(files.get('manifest.json')!.toString()) as { files: { path: string; sha256: string }[] };
  m.files[0]!.sha256 = '0'.repeat(64);
  assert.equal(
    (await verifyCompliancePack(new Map(files).set('manifest.json', Buffer.from(JSON.stringify(m))))).failure?.kind,
    'manifest_signature',
  );
  // A signature by another key (a forged jwks.json) fails against pinned keys.
  const other = await signedPack();
  const pinned = JSON.parse(files.get('jwks.json')!.toString()) as { keys: [] };
  assert.equal((await verifyCompliancePack(other.files, { trustedJwks: pinned })).failure?.kind, 'manifest_signature');
});
