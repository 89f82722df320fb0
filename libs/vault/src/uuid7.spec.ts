import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuid7 } from './uuid7.js';

test('uuid7: RFC 9562 version 7 layout, time-ordered and unique', () => {
  const before = Date.now();
  const ids = Array.from({ length: 20_000 }, () => uuid7());
  for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `${ids[i - 1]} then ${ids[i]}`);
  const ms = parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16);
  assert.ok(ms >= before && ms <= Date.now() + 5);
});
