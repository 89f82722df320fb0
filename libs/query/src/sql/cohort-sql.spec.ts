import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCohortDefinition } from '../cohort/cohort-parse.js';
import { compileCohort } from './cohort-sql.js';
import { SqlParams } from './sql-params.js';

const T1 = '00000000-0000-4000-8000-000000000001';
const scope = { trustIds: [T1], asOf: new Date('2024-06-01T00:00:00Z') };

function compile(criteria: unknown, s = scope): { sql: string; params: readonly unknown[] } {
  const params = new SqlParams();
  const c = compileCohort(parseCohortDefinition({ version: 1, criteria }), s, params);
  return { sql: c.sql, params: params.values };
}

test('every user value is a bound parameter, never SQL text', () => {
  const evil = "x'); DROP TABLE research.patient; --";
  const evilSystem = "x');DROP/**/TABLE/**/research.patient;--";
  const { sql, params } = compile({
    type: 'or',
    of: [
      { type: 'condition', codes: [{ system: evilSystem, code: evil }] },
      { type: 'observation', codes: [{ system: 'http://loinc.org', code: '1' }], value: { unit: evil, min: 1 } },
    ],
  });
  assert.doesNotMatch(sql, /DROP TABLE/);
  assert.ok(params.includes(evil) && params.includes(evilSystem));
  assert.ok(params.some((p) => Array.isArray(p) && p.includes(evil)));
});

test('property: no generated code or system string ever appears in the SQL text', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[\x21-\x7e]{1,40}$/), fc.stringMatching(/^[\x20-\x7e]{1,40}$/), (system, code) => {
      const marker = `${system}\u0000`; // a value can only reach the SQL through a placeholder
      const { sql, params } = compile({ type: 'procedure', codes: [{ system, code }] });
      assert.ok(!sql.includes(marker));
      assert.ok(params.includes(system));
      // The SQL is built from a fixed alphabet of identifiers and placeholders.
      assert.doesNotMatch(sql.replace(/\$\d+::[a-z0-9[\]]+/g, ''), /[;"]/);
    }),
    { numRuns: 200 },
  );
});

test('the scope filter is always present: trusts, opt-outs, and consent when required', () => {
  const { sql } = compile({ type: 'age', min: 18 });
  assert.match(sql, /p\.trust_id = ANY\(\$1::uuid\[\]\)/);
  assert.match(sql, /NOT EXISTS \(SELECT 1 FROM consent\.person cp JOIN consent\.opt_out/);
  assert.doesNotMatch(sql, /study_consent/);
  const withConsent = compile({ type: 'age', min: 18 }, { ...scope, projectId: T1, requireStudyConsent: true } as typeof scope);
  assert.match(withConsent.sql, /consent\.study_consent sp/);
});

test('ages become birth-year bounds at the index year', () => {
  const { params } = compile({ type: 'age', min: 40, max: 70 });
  assert.ok(params.includes(2024 - 70) && params.includes(2024 - 40));
});

test('demographics are row predicates; events are person sets combined with set operations', () => {
  const { sql } = compile({
    type: 'and',
    of: [
      { type: 'sex', anyOf: ['female'] },
      { type: 'condition', codes: [{ system: 's', code: 'a' }] },
      { type: 'not', criterion: { type: 'medication', codes: [{ system: 's', code: 'b' }] } },
    ],
  });
  assert.match(sql, /p\.sex = ANY/);
  assert.match(sql, /INTERSECT/);
  assert.match(sql, /EXCEPT/);
});
