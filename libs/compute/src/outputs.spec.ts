import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { makePng } from './airlock/png-fixture.js';
import { isValidOutputName, materializeOutput, toCsv } from './outputs.js';

test('tables become RFC 4180 CSV with CRLF, quoting and a formula guard', () => {
  const csv = toCsv({
    columns: ['group', 'n'],
    rows: [
      ['a,b', 10],
      ['say "hi"', 15],
      ['line\nbreak', null],
      ['=HYPERLINK("x")', true],
      ['-5', -5],
    ],
  });
  assert.equal(csv, 'group,n\r\n"a,b",10\r\n"say ""hi""",15\r\n"line\nbreak",\r\n"\'=HYPERLINK(""x"")",true\r\n\'-5,-5\r\n');
});

test('materialised outputs carry size and sha-256 of the stored bytes', () => {
  const out = materializeOutput('json', 'x', '{"b":1,"a":[1,2]}');
  assert.ok(out && out.kind === 'json');
  assert.deepEqual(out.value, { b: 1, a: [1, 2] });
  assert.equal(out.size, out.bytes.length);
  assert.equal(out.sha256, createHash('sha256').update(out.bytes).digest('hex'));
  const png = makePng(2, 2);
  const image = materializeOutput('png', 'img', png.slice().buffer);
  assert.equal(image?.mime, 'image/png');
});

test('malformed payloads are rejected', () => {
  assert.equal(materializeOutput('table', 't', '{"columns":[],"rows":[]}'), undefined);
  assert.equal(materializeOutput('table', 't', '{"columns":["a","a"],"rows":[]}'), undefined);
  assert.equal(materializeOutput('table', 't', '{"columns":["a"],"rows":[[{"x":1}]]}'), undefined);
  assert.equal(materializeOutput('table', 't', '{"columns":["a"],"rows":[[1,2]]}'), undefined);
  assert.equal(materializeOutput('json', 'j', '{not json'), undefined);
  assert.equal(materializeOutput('png', 'p', new TextEncoder().encode('not a png').buffer), undefined);
  assert.equal(materializeOutput('text', 't', new ArrayBuffer(2)), undefined);
});

test('output names are safe file names', () => {
  for (const ok of ['counts', 'by-age.csv', 'Fig_1', 'a.b-c_d']) assert.equal(isValidOutputName(ok), true, ok);
  for (const bad of ['', '../x', 'a/b', '.hidden', 'a..b', 'x'.repeat(129), 'spaces no']) assert.equal(isValidOutputName(bad), false, bad);
});
