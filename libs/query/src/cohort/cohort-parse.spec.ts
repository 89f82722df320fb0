import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '@harbour/errors';
import { parseCohortDefinition } from './cohort-parse.js';
import { fingerprint } from './canonical.js';

const SCT = 'http://snomed.info/sct';
const diabetes = { type: 'condition', codes: [{ system: SCT, code: '44054006' }] };

function refused(input: unknown): DomainError {
  try {
    parseCohortDefinition(input);
  } catch (e) {
    assert.ok(e instanceof DomainError);
    assert.equal(e.code, 'invalid_cohort');
    return e;
  }
  assert.fail('expected invalid_cohort');
}

test('accepts every criterion type combined with and/or/not/temporal', () => {
  const def = parseCohortDefinition({
    version: 1,
    indexDate: '2024-01-01',
    criteria: {
      type: 'and',
      of: [
        { type: 'age', min: 40, max: 70 },
        { type: 'sex', anyOf: ['female'] },
        {
          type: 'or',
          of: [
            { type: 'district', anyOf: ['LS1', 'SW1A'] },
            { type: 'imaging', modalities: ['MR'] },
          ],
        },
        { type: 'not', criterion: { type: 'medication', codes: [{ system: 'https://dmd.nhs.uk', code: '123' }] } },
        {
          type: 'observation',
          codes: [{ system: 'http://loinc.org', code: '4548-4' }],
          value: { min: 48, unit: 'mmol/mol' },
          from: '2020-01-01',
        },
        { type: 'temporal', first: diabetes, then: { type: 'procedure', codes: [{ system: SCT, code: '1' }] }, withinDays: 90 },
        { type: 'encounter', codes: [{ system: SCT, code: '2' }] },
      ],
    },
  });
  assert.equal(def.criteria.type, 'and');
  assert.ok(Object.isFrozen(def.criteria));
});

test('refuses unknown fields, unknown types and wrong value types', () => {
  refused({ version: 1, criteria: diabetes, extra: 1 });
  refused({ version: 1, criteria: { ...diabetes, sql: 'x' } });
  refused({ version: 1, criteria: { type: 'drop_table' } });
  refused({ version: 2, criteria: diabetes });
  refused({ version: 1, criteria: { type: 'age', min: '40' } });
  refused({ version: 1, criteria: { type: 'age', min: 40.5 } });
  refused({ version: 1, criteria: { type: 'age' } });
  refused({ version: 1, criteria: { type: 'age', min: 70, max: 40 } });
  refused({ version: 1, criteria: { type: 'sex', anyOf: ['f'] } });
  refused({ version: 1, criteria: { type: 'and', of: [] } });
  refused({ version: 1, criteria: { type: 'and', of: [null] } });
  refused({ version: 1, criteria: { type: 'not' } });
  refused({ version: 1, criteria: { type: 'condition', codes: [] } });
  refused({ version: 1, criteria: { type: 'condition', codes: [{ system: SCT }] } });
  refused({ version: 1, criteria: { ...diabetes, from: '2024-02-31' } });
  refused({ version: 1, criteria: { ...diabetes, from: '2024-03-01', to: '2024-01-01' } });
  refused({ version: 1, criteria: { type: 'observation', codes: diabetes.codes, value: { min: 5, max: 1 } } });
  refused({ version: 1, criteria: { type: 'imaging', modalities: ['mr'] } });
  refused(null);
  refused([]);
  refused('{"version":1}');
});

test('temporal relations accept only event criteria', () => {
  refused({ version: 1, criteria: { type: 'temporal', first: { type: 'age', min: 1 }, then: diabetes, withinDays: 90 } });
  refused({ version: 1, criteria: { type: 'temporal', first: { type: 'sex', anyOf: ['male'] }, then: diabetes, withinDays: 90 } });
  refused({ version: 1, criteria: { type: 'temporal', first: { type: 'and', of: [diabetes] }, then: diabetes, withinDays: 90 } });
  refused({ version: 1, criteria: { type: 'temporal', first: diabetes, then: diabetes, withinDays: 10, minDays: 20 } });
  refused({ version: 1, criteria: { type: 'temporal', first: diabetes, then: diabetes, withinDays: -1 } });
});

test('enforces depth and size limits', () => {
  let deep: unknown = diabetes;
  for (let i = 0; i < 9; i++) deep = { type: 'not', criterion: deep };
  const e = refused({ version: 1, criteria: deep });
  assert.match(JSON.stringify(e.details), /nest/);
  let veryDeep: unknown = diabetes;
  for (let i = 0; i < 5000; i++) veryDeep = { type: 'not', criterion: veryDeep };
  refused({ version: 1, criteria: veryDeep });
  refused({ version: 1, criteria: { type: 'or', of: Array.from({ length: 21 }, () => diabetes) } });
  refused({
    version: 1,
    criteria: { type: 'condition', codes: Array.from({ length: 201 }, (_, i) => ({ system: SCT, code: String(i) })) },
  });
  refused({ version: 1, criteria: { type: 'condition', codes: [{ system: SCT, code: 'x'.repeat(70_000) }] } });
  const cyclic: Record<string, unknown> = { version: 1 };
  cyclic['criteria'] = cyclic;
  refused(cyclic);
});

test('validation messages never echo submitted values', () => {
  const e = refused({ version: 1, criteria: { type: 'sex', anyOf: ["female'; DROP TABLE research.patient; --"] } });
  assert.doesNotMatch(JSON.stringify(e.details), /DROP TABLE/);
});

test('does not mutate the input', () => {
  const input = { version: 1, criteria: { type: 'and', of: [diabetes, { type: 'age', min: 1 }] } };
  const before = JSON.stringify(input);
  parseCohortDefinition(input);
  assert.equal(JSON.stringify(input), before);
});

test('rephrasings have the same hash; changed numbers keep the shape', () => {
  const a = parseCohortDefinition({ version: 1, criteria: { type: 'and', of: [{ type: 'age', min: 40 }, diabetes] } });
  const b = parseCohortDefinition({
    version: 1,
    criteria: {
      type: 'and',
      of: [
        { type: 'and', of: [diabetes, diabetes] },
        { type: 'not', criterion: { type: 'not', criterion: { type: 'age', min: 40 } } },
      ],
    },
  });
  const c = parseCohortDefinition({ version: 1, criteria: { type: 'and', of: [{ type: 'age', min: 41 }, diabetes] } });
  const fa = fingerprint(a, '2024-01-01');
  assert.equal(fa.cohortHash, fingerprint(b, '2024-01-01').cohortHash);
  assert.match(fa.cohortHash, /^[0-9a-f]{64}$/);
  assert.notEqual(fa.cohortHash, fingerprint(c, '2024-01-01').cohortHash);
  assert.equal(fa.shapeHash, fingerprint(c, '2024-01-01').shapeHash);
  assert.notEqual(fa.cohortHash, fingerprint(a, '2025-01-01').cohortHash);
});
