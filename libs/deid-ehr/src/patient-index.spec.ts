import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryPatientIndex } from './patient-index.js';
import { emptyKnown } from './scrub.js';
import { PatientKeyStore } from './patient-keys.js';

test('patient index: accepted, opted out, rejected, duplicates linked', () => {
  const index = new MemoryPatientIndex();
  assert.equal(index.add('9434765919', ['p1', 'urn:uuid:1'], false), true);
  assert.equal(index.add('0123456789', ['p2'], true), true);
  index.reject(['bad', 'p1']); // p1 is known: not marked rejected
  assert.deepEqual(index.byId('p1'), { status: 'ok', nhsNumber: '9434765919' });
  assert.deepEqual(index.byId('urn:uuid:1'), { status: 'ok', nhsNumber: '9434765919' });
  assert.deepEqual(index.byId('p2'), { status: 'opted_out', nhsNumber: '0123456789' });
  assert.deepEqual(index.byNhs('0123456789'), { status: 'opted_out', nhsNumber: '0123456789' });
  assert.deepEqual(index.byId('bad'), { status: 'rejected' });
  assert.equal(index.byId('nobody'), undefined);
  assert.equal(index.byNhs('9990000018'), undefined);
  assert.equal(index.byNhs('not a number'), undefined);
  // a second Patient for the same NHS number: not new, but its id now resolves to the first
  assert.equal(index.add('9434765919', ['p1-dup'], false), false);
  assert.deepEqual(index.byId('p1-dup'), { status: 'ok', nhsNumber: '9434765919' });
  // an id first refused and later linked resolves to its patient
  index.link('9434765919', ['bad']);
  assert.deepEqual(index.byId('bad'), { status: 'ok', nhsNumber: '9434765919' });
  assert.deepEqual(index.size, { accepted: 1, optedOut: 1, rejectedIds: 0 });
  assert.equal(index.entryOf('9434765919'), 0);
  assert.equal(index.entryOf('0123456789'), 1);
  assert.equal(index.entryOf('9990000018'), undefined);
});

test('patient index: ids are compared exactly (non-ASCII, prefixes, many entries through growth)', () => {
  const index = new MemoryPatientIndex();
  const nhsOf = (i: number): string => String(1_000_000_000 + i * 7);
  const n = 50_000;
  for (let i = 0; i < n; i++) index.add(nhsOf(i), [`id-${i}`, `é-${i}`], i % 10 === 0);
  for (let i = 0; i < n; i += 997) {
    assert.deepEqual(index.byId(`id-${i}`), { status: i % 10 === 0 ? 'opted_out' : 'ok', nhsNumber: nhsOf(i) });
    assert.deepEqual(index.byId(`é-${i}`), index.byId(`id-${i}`));
    assert.equal(index.entryOf(nhsOf(i)), i);
  }
  assert.equal(index.byId('id-'), undefined);
  assert.equal(index.byId(`id-${n}`), undefined);
  assert.equal(index.byId('e-1'), undefined);
  assert.deepEqual(index.size, { accepted: n - n / 10, optedOut: n / 10, rejectedIds: 0 });
});

test('patient index: known identifiers are kept per patient and merged for duplicates', () => {
  const index = new MemoryPatientIndex();
  index.add('9434765919', ['p1'], false, { ...emptyKnown(), names: ['Ada'] });
  index.add('9434765919', ['p1b'], false, { ...emptyKnown(), names: ['Lovelace'] });
  assert.deepEqual(index.known('9434765919')?.names, ['Ada', 'Lovelace']);
  assert.equal(index.known('9990000018'), undefined);
});

test('patient key store: the pseudonym and offset of the keys, computed once per patient', () => {
  let calls = 0;
  const keys = {
    projectId: 'p',
    pseudonym: (n: string) => (calls++, `HBR-${n.padStart(16, 'A')}`),
    dateOffsetDays: (n: string) => (calls++, (Number(n.slice(-3)) % 731) - 365),
    uid: (u: string) => u,
    recordId: (_ns: string, id: string) => id,
  };
  const store = new PatientKeyStore(keys);
  const nhs = (i: number): string => String(9_000_000_000 + i);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3000; i++) {
      assert.deepEqual(store.get(i, nhs(i)), { pseudonym: keys.pseudonym(nhs(i)), dateOffsetDays: keys.dateOffsetDays(nhs(i)) });
    }
  }
  assert.equal(calls, 3 * 3000 * 2 + 3000 * 2);
  // values that do not fit the compact form are computed every time, never truncated
  const long = new PatientKeyStore({ ...keys, pseudonym: (n: string) => `LONG-PSEUDONYM-${n}` });
  assert.equal(long.get(0, '9434765919').pseudonym, 'LONG-PSEUDONYM-9434765919');
  assert.equal(long.get(0, '9434765919').pseudonym, 'LONG-PSEUDONYM-9434765919');
});
