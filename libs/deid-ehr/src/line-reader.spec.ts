import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLines, readNdjson, type LineItem } from './line-reader.js';
import { readCsv, splitCsvRecord, normaliseColumnName } from './csv-reader.js';
import { entryLineNumbers } from './bundle-reader.js';

async function collect(chunks: (string | Uint8Array)[], max?: number): Promise<LineItem[]> {
  async function* src(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield typeof c === 'string' ? Buffer.from(c) : c;
  }
  const out: LineItem[] = [];
  for await (const i of readLines(src(), { maxRecordBytes: max })) out.push(i);
  return out;
}

test('physical line numbers count every newline; blank lines skipped but counted; CRLF and BOM handled', async () => {
  const items = await collect(['\uFEFF{"a":1}\r\n\r\n   \n{"b":', '2}\r\n\n{"c":3}']);
  assert.deepEqual(
    items.map((i) => [i.line, i.raw]),
    [
      [1, '{"a":1}'],
      [4, '{"b":2}'],
      [6, '{"c":3}'],
    ],
  );
});

test('lines split across many chunks are reassembled', async () => {
  const text = '{"x":"' + 'y'.repeat(1000) + '"}\n{"z":1}\n';
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 7) chunks.push(text.slice(i, i + 7));
  const items = await collect(chunks);
  assert.equal(items.length, 2);
  assert.equal(items[0]!.raw!.length, 1008);
  assert.equal(items[1]!.line, 2);
});

test('a line over the limit is refused without stopping the stream', async () => {
  const big = 'a'.repeat(5000);
  const items = await collect(['{"ok":1}\n', big.slice(0, 2000), big.slice(2000), '\n{"ok":2}\n', 'b'.repeat(3000)], 1024);
  assert.deepEqual(
    items.map((i) => [i.line, i.error?.code ?? i.raw]),
    [
      [1, '{"ok":1}'],
      [2, 'record_too_large'],
      [3, '{"ok":2}'],
      [4, 'record_too_large'],
    ],
  );
});

test('invalid UTF-8 refuses only that line', async () => {
  const bad = Buffer.concat([Buffer.from('{"n":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
  const items = await collect([Buffer.from('{"a":"é"}\n'), bad, Buffer.from('{"c":1}')]);
  assert.equal(items[0]!.raw, '{"a":"é"}');
  assert.deepEqual([items[1]!.line, items[1]!.error?.code], [2, 'invalid_utf8']);
  assert.deepEqual([items[2]!.line, items[2]!.raw], [3, '{"c":1}']);
});

test('readNdjson streams a real file (and a 12 MiB line is refused at its line)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ndjson-'));
  const p = join(dir, 'Observation.ndjson');
  await writeFile(p, `{"a":1}\n{"huge":"${'x'.repeat(12 * 1024 * 1024)}"}\n{"b":2}\n`);
  const items: LineItem[] = [];
  for await (const i of readNdjson(p)) items.push(i);
  assert.deepEqual(
    items.map((i) => [i.line, i.error?.code ?? 'ok']),
    [
      [1, 'ok'],
      [2, 'record_too_large'],
      [3, 'ok'],
    ],
  );
});

test('CSV: quoted fields, embedded newlines keep the starting line, header normalisation', async () => {
  assert.deepEqual(splitCsvRecord('a, "b,c" ,"d ""q"""'), ['a', 'b,c', 'd "q"']);
  assert.equal(normaliseColumnName('\uFEFF NHS Number '), 'nhs_number');
  const dir = await mkdtemp(join(tmpdir(), 'csv-'));
  const p = join(dir, 'events.csv');
  await writeFile(p, '\uFEFFNHS_Number , Code\r\n943 476 5919,"multi\r\nline"\r\n\r\n9434765919,x,extra\r\n9434765919,"open\r\n');
  const items = [];
  for await (const i of readCsv(p)) items.push(i);
  assert.deepEqual(items[0]!.header, ['nhs_number', 'code']);
  assert.equal(items[1]!.line, 2);
  assert.deepEqual(items[1]!.row, { nhs_number: '943 476 5919', code: 'multi\nline' });
  assert.deepEqual([items[2]!.line, items[2]!.error?.code], [5, 'invalid_csv_row']);
  assert.deepEqual([items[3]!.line, items[3]!.error?.code], [6, 'invalid_csv_row']);
});

test('bundle entry lines are found by the scanner', () => {
  const text =
    '{\n "resourceType": "Bundle",\n "meta": {"tag": [{"x": "entry"}]},\n "entry": [\n  {\n   "resource": {"a": "}{[\\"]"}\n  },\n  {"resource": {}}\n ]\n}';
  assert.deepEqual(entryLineNumbers(text), [5, 8]);
});
