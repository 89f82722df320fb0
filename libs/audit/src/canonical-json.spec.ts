import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson, canonicalJsonAround } from './canonical-json.js';

test('canonical JSON sorts keys, drops undefined, keeps arrays in order', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined, d: { z: 1, y: 2 } }),
    '{"a":[true,null,"x"],"b":1,"d":{"y":2,"z":1}}',
  );
});

test('canonical JSON does not depend on key insertion order', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.string().filter((k) => k !== '__proto__'),
        fc.oneof(fc.integer(), fc.string(), fc.boolean()),
      ),
      (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        assert.equal(canonicalJson(o), canonicalJson(reversed));
        assert.equal(canonicalJson(JSON.parse(canonicalJson(o))), canonicalJson(o), 'round-trips');
      },
    ),
  );
});

test('canonicalJsonAround splits exactly around the member the database fills in', () => {
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'),
        fc.oneof(fc.integer(), fc.string()),
      ),
      fc.nat(),
      (o, n) => {
        const { prefix, suffix } = canonicalJsonAround(o, 'seq');
        assert.equal(`${prefix}${n}${suffix}`, canonicalJson({ ...o, seq: n }));
      },
    ),
  );
});
