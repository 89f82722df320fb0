import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticCohort } from '../in-memory-data-source.js';
import type { JobOutput, JsonValue, TableCell } from '../job.types.js';
import { materializeOutput } from '../outputs.js';
import { checkOutput, DEFAULT_AIRLOCK_CONTEXT, worstSeverity, type AirlockContext, type Finding } from './airlock-checks.js';
import { makePng } from './png-fixture.js';

const context: AirlockContext = { ...DEFAULT_AIRLOCK_CONTEXT, patientsRead: 1000 };

function table(columns: string[], rows: TableCell[][]): JobOutput {
  const out = materializeOutput('table', 't', JSON.stringify({ columns, rows }));
  assert.ok(out);
  return out;
}
const json = (value: JsonValue): JobOutput => materializeOutput('json', 'j', JSON.stringify(value)) as JobOutput;
const text = (s: string): JobOutput => materializeOutput('text', 'x', s) as JobOutput;
const png = (bytes: Uint8Array): JobOutput =>
  materializeOutput('png', 'p', bytes.slice().buffer) ?? {
    kind: 'png',
    name: 'p',
    mime: 'image/png',
    bytes,
    size: bytes.length,
    sha256: '',
  };
const codes = (findings: Finding[]): string[] => findings.map((f) => `${f.code}:${f.severity}`).sort();

test('a safe aggregate passes with no findings', () => {
  const out = table(
    ['age_band', 'sex', 'count'],
    [
      ['0-17', 'female', 120],
      ['0-17', 'male', 115],
      ['18-64', 'female', 300],
      ['18-64', 'male', 290],
      ['65+', 'female', 95],
      ['65+', 'male', 80],
    ],
  );
  assert.deepEqual(checkOutput(out, context), []);
  assert.equal(worstSeverity([]), undefined);
});

test('a row-level output is blocked: pseudonyms, one row per patient, identifier-named column', () => {
  const cohort = syntheticCohort(1000, 3);
  const out = table(
    ['pseudonym', 'sex', 'birthYear'],
    cohort.map((p) => [p.pseudonym, p.sex, p.birthYear]),
  );
  const findings = checkOutput(out, context);
  assert.deepEqual(codes(findings), ['identifier_values:block', 'row_level_table:block']);
  assert.equal(findings.find((f) => f.code === 'identifier_values')?.column, 'pseudonym');
  assert.equal(worstSeverity(findings), 'block');
  // Messages never repeat cell values.
  for (const f of findings) for (const p of cohort.slice(0, 50)) assert.ok(!f.message.includes(p.pseudonym));
});

test('one row per patient is blocked even without any key column', () => {
  const cohort = syntheticCohort(800, 4);
  const findings = checkOutput(
    table(
      ['sex', 'birth_year'],
      cohort.map((p) => [p.sex, p.birthYear]),
    ),
    context,
  );
  assert.deepEqual(codes(findings), ['row_level_table:block']);
});

test('NHS-number-like and UUID-like columns are blocked; identifier names warn', () => {
  const nhs = table(
    ['who', 'n'],
    [
      ['943 476 5919', 10],
      ['9434765870', 15],
    ],
  );
  assert.deepEqual(codes(checkOutput(nhs, context)), ['identifier_values:block']);
  const numericNhs = table(['x'], [[9434765919], [9434765870]]);
  assert.deepEqual(codes(checkOutput(numericNhs, context)), ['identifier_values:block']);
  const uuids = table(['ref'], [['0b7c3f8e-2a41-4c1e-9a53-6a1f2d8e9b10'], ['1c8d4f9e-3b52-4d2f-8b64-7b2f3e9fac21']]);
  assert.deepEqual(codes(checkOutput(uuids, context)), ['identifier_values:block']);
  const named = table(
    ['patient_id', 'mrn', 'nhsNumber', 'patients', 'patient_count'],
    [
      ['a', 'b', 'c', 20, 25],
      ['d', 'e', 'f', 30, 35],
    ],
  );
  assert.deepEqual(codes(checkOutput(named, context)), [
    'identifier_column_name:warn',
    'identifier_column_name:warn',
    'identifier_column_name:warn',
  ]);
});

test('small counts are blocked, unrounded counts warned, zero is fine', () => {
  const findings = checkOutput(
    table(
      ['district', 'count'],
      [
        ['LS1', 0],
        ['LS2', 3],
        ['LS3', 12],
        ['LS4', 40],
      ],
    ),
    context,
  );
  assert.deepEqual(codes(findings), ['count_not_rounded:warn', 'small_count:block']);
  const small = findings.find((f) => f.code === 'small_count');
  assert.equal(small?.column, 'count');
  assert.match(small?.message ?? '', /1 count\(s\) between 1 and 9/);
  // Thresholds are the guardian's to set.
  assert.deepEqual(
    codes(
      checkOutput(
        table(
          ['g', 'n'],
          [
            ['a', 3],
            ['b', 4],
          ],
        ),
        { ...context, suppressionThreshold: 3, roundingBase: 1 },
      ),
    ),
    [],
  );
});

test('a dominant contributor to a count or sum is warned', () => {
  const findings = checkOutput(
    table(
      ['provider', 'total_cost'],
      [
        ['A', 95000],
        ['B', 2500],
        ['C', 2500],
      ],
    ),
    context,
  );
  assert.deepEqual(codes(findings), ['dominant_contributor:warn']);
  assert.deepEqual(
    codes(
      checkOutput(
        table(
          ['provider', 'total_cost'],
          [
            ['A', 95000],
            ['B', 2500],
            ['C', 2500],
          ],
        ),
        { ...context, dominanceShare: 0.96 },
      ),
    ),
    [],
  );
});

test('many rows each with a distinct text key warn even below the patient count', () => {
  const rows: TableCell[][] = Array.from({ length: 200 }, (_, i) => [`code-${i}`, 50]);
  assert.deepEqual(codes(checkOutput(table(['code', 'count'], rows), { ...context, patientsRead: 100_000 })), [
    'high_cardinality_column:warn',
  ]);
});

test('JSON outputs: record arrays are checked as tables, counts by key, identifiers anywhere', () => {
  const cohort = syntheticCohort(600, 5);
  const rowLevel = checkOutput(json({ rows: cohort.map((p) => ({ sex: p.sex, year: p.birthYear })) }), context);
  assert.deepEqual(codes(rowLevel), ['row_level_table:block']);
  const counts = checkOutput(json({ total: { count: 7 }, groups: { a: { count: 20 } } }), context);
  assert.deepEqual(codes(counts), ['count_not_rounded:warn', 'small_count:block']);
  const ids = checkOutput(json({ note: 'see HBR-ABCDEFGHIJKLMNOP' }), context);
  assert.deepEqual(codes(ids), ['identifier_values:block']);
  assert.deepEqual(checkOutput(json({ mean_age: 54.2, groups: [{ band: '0-17', count: 120 }] }), context), []);
});

test('text always needs reading; identifiers in it are flagged', () => {
  assert.deepEqual(codes(checkOutput(text('mean age 54'), context)), ['free_text_requires_review:info']);
  assert.deepEqual(codes(checkOutput(text('patient HBR-ABCDEFGHIJKLMNOP and 943 476 5919'), context)), [
    'free_text_requires_review:info',
    'identifier_values:block',
    'identifier_values:warn',
  ]);
});

test('every image needs visual review; greyscale or 16-bit images of medical size are blocked', () => {
  assert.deepEqual(codes(checkOutput(png(makePng(800, 600)), context)), ['image_requires_review:warn']);
  assert.deepEqual(codes(checkOutput(png(makePng(512, 512, 0, 16)), context)), [
    'image_requires_review:warn',
    'possible_medical_image:block',
  ]);
  assert.deepEqual(codes(checkOutput(png(makePng(256, 300, 4, 8)), context)), [
    'image_requires_review:warn',
    'possible_medical_image:block',
  ]);
  assert.deepEqual(codes(checkOutput(png(makePng(1024, 1024)), context)), ['image_requires_review:warn', 'possible_medical_image:warn']);
  assert.deepEqual(codes(checkOutput(png(makePng(64, 64, 0, 8)), context)), ['image_requires_review:warn']);
  assert.deepEqual(codes(checkOutput(png(new TextEncoder().encode('not a png')), context)), ['invalid_image:block']);
});

test('outputs above the size limit are blocked', () => {
  const findings = checkOutput(text('x'.repeat(2000)), { ...context, maxBytes: 1000 });
  assert.deepEqual(codes(findings), ['free_text_requires_review:info', 'output_too_large:block']);
});
