import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listsInForceAt, recordedListVersions } from './opt-out-check.js';

const T = '11111111-1111-4111-8111-111111111111';

test('recorded list versions: array and object spellings, sorted', () => {
  assert.deepEqual(recordedListVersions({ consentListVersions: [`${T}:type1:2`, `${T}:ndop:3`] }), [`${T}:ndop:3`, `${T}:type1:2`]);
  assert.deepEqual(recordedListVersions({ consentListVersions: { [`${T}:ndop`]: 4 } }), [`${T}:ndop:4`]);
  assert.equal(recordedListVersions({}), null);
});

test('the version in force is the highest uploaded at or before the time', () => {
  const at = (s: string): Date => new Date(s);
  const lists = [
    { id: 'a', trust_id: T, kind: 'ndop', version: 1, created_at: at('2026-01-01T00:00:00Z') },
    { id: 'b', trust_id: T, kind: 'ndop', version: 2, created_at: at('2026-02-01T00:00:00Z') },
    { id: 'c', trust_id: T, kind: 'type1', version: 1, created_at: at('2026-03-01T00:00:00Z') },
  ];
  assert.deepEqual(
    listsInForceAt(lists, at('2026-02-01T00:00:00Z')).map((l) => l.id),
    ['b'],
  );
  assert.deepEqual(
    listsInForceAt(lists, at('2026-01-15T00:00:00Z')).map((l) => l.id),
    ['a'],
  );
  assert.deepEqual(
    listsInForceAt(lists, at('2026-04-01T00:00:00Z')).map((l) => l.id),
    ['b', 'c'],
  );
  assert.deepEqual(listsInForceAt(lists, at('2025-12-31T00:00:00Z')), []);
});
