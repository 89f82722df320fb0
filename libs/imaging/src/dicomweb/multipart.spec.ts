import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMediaType, readMultipart, type PartSink } from './multipart.js';

async function collect(
  body: Buffer,
  boundary: string,
  chunk: number,
): Promise<{ parts: { headers: Record<string, string>; body: Buffer; complete: boolean }[]; truncated: boolean }> {
  const parts: { headers: Record<string, string>; body: Buffer; complete: boolean }[] = [];
  async function* source(): AsyncGenerator<Buffer> {
    for (let i = 0; i < body.length; i += chunk) yield body.subarray(i, i + chunk);
  }
  const r = await readMultipart(source(), boundary, (headers) => {
    const chunks: Buffer[] = [];
    const sink: PartSink = {
      write: (c) => Promise.resolve(void chunks.push(c)),
      end: () => Promise.resolve(void parts.push({ headers: { ...headers }, body: Buffer.concat(chunks), complete: true })),
      abort: () => Promise.resolve(void parts.push({ headers: { ...headers }, body: Buffer.concat(chunks), complete: false })),
    };
    return Promise.resolve(sink);
  });
  return { parts, truncated: r.truncated };
}

const body = (b: string, parts: Buffer[]): Buffer =>
  Buffer.concat([
    Buffer.from('preamble\r\n'),
    ...parts.flatMap((p) => [Buffer.from(`--${b}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n')]),
    Buffer.from(`--${b}--\r\nepilogue`),
  ]);

test('parts are split exactly at delimiters whatever the network chunking (RFC 2046 §5.1.1)', async () => {
  const b = 'xYz-123';
  // Bodies that contain almost-delimiters and CRLFs.
  const p1 = Buffer.concat([Buffer.from('\r\n--xYz-12'), Buffer.alloc(3000, 7), Buffer.from('\r\n-')]);
  const p2 = Buffer.from('second');
  for (const chunk of [1, 2, 7, 64, 100_000]) {
    const r = await collect(body(b, [p1, p2]), b, chunk);
    assert.equal(r.truncated, false);
    assert.equal(r.parts.length, 2);
    assert.ok(r.parts[0]!.body.equals(p1), `chunk ${chunk}`);
    assert.ok(r.parts[1]!.body.equals(p2));
    assert.equal(r.parts[0]!.headers['content-type'], 'application/dicom');
  }
});

test('a body that ends inside a part aborts that part and reports truncation', async () => {
  const full = body('bnd', [Buffer.from('one'), Buffer.alloc(500, 1)]);
  const r = await collect(full.subarray(0, full.length - 300), 'bnd', 50);
  assert.equal(r.truncated, true);
  assert.deepEqual(
    r.parts.map((p) => p.complete),
    [true, false],
  );
});

test('media type parameters, quoted or not', () => {
  assert.deepEqual(parseMediaType('Multipart/Related; type="application/dicom"; boundary=abc'), {
    type: 'multipart/related',
    params: { type: 'application/dicom', boundary: 'abc' },
  });
  assert.equal(parseMediaType('multipart/related;boundary="a;b"')?.params['boundary'], 'a;b');
  assert.equal(parseMediaType(undefined), undefined);
});
