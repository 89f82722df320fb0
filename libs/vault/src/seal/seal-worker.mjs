// A record-sealing worker thread (see record-sealer.ts). Plain JavaScript with no imports of the
// TypeScript sources, so the thread starts without a module loader (~100 MB less than a thread that
// registers @swc-node/register) and without the process's flags.
//
// It writes the vault's format 1 (vault-crypto.ts `encrypt`): [1][key version u32][iv 12][tag 16]
// [ciphertext], AES-256-GCM with the 5-byte header as additional data, random 96-bit IVs drawn from
// the CSPRNG in blocks. record-sealer.spec.ts decrypts its output with vault-crypto.ts `decrypt`.
import { Buffer } from 'node:buffer';
import { createCipheriv, createHmac, randomFillSync } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

const FORMAT_V1 = 1;
const key = Buffer.from(workerData.key);
const keyVersion = workerData.keyVersion;
const fingerprintKey = Buffer.from(workerData.fingerprintKey);
const ivs = Buffer.alloc(12 * 1024);
let ivUsed = ivs.length;

function encrypt(plain, out, at) {
  if (ivUsed === ivs.length) {
    randomFillSync(ivs);
    ivUsed = 0;
  }
  const iv = ivs.subarray(ivUsed, ivUsed + 12);
  ivUsed += 12;
  out.writeUInt8(FORMAT_V1, at);
  out.writeUInt32BE(keyVersion, at + 1);
  iv.copy(out, at + 5);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(out.subarray(at, at + 5));
  const ct = cipher.update(plain);
  const fin = cipher.final();
  ct.copy(out, at + 33);
  fin.copy(out, at + 33 + ct.length);
  cipher.getAuthTag().copy(out, at + 17);
  return 33 + ct.length + fin.length;
}

parentPort.on('message', (m) => {
  try {
    const input = Buffer.from(m.input);
    // GCM ciphertext is as long as the plaintext: 33 bytes of header, IV and tag each.
    const output = new ArrayBuffer(input.length + 33 * m.lengths.length);
    const out = Buffer.from(output);
    const lengths = [];
    const fingerprints = [];
    let inAt = 0;
    let outAt = 0;
    for (const len of m.lengths) {
      const plain = input.subarray(inAt, inAt + len);
      inAt += len;
      const n = encrypt(plain, out, outAt);
      outAt += n;
      lengths.push(n);
      fingerprints.push(createHmac('sha256', fingerprintKey).update(plain).digest('base64url'));
    }
    parentPort.postMessage({ id: m.id, output, lengths, fingerprints }, [output]);
  } catch {
    parentPort.postMessage({ id: m.id, error: 'sealing failed' });
  }
});
