import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deriveProjectKeys, MAX_DATE_SHIFT_DAYS } from './project-keys.js';
import { shiftDicomDate, shiftDicomDateTime, shiftFhirDate } from './dates.js';

const master = Buffer.alloc(32, 7);

test('pseudonyms are stable within a project and differ across projects', () => {
  const a1 = deriveProjectKeys(master, 'alpha');
  const a2 = deriveProjectKeys(Buffer.from(master), 'alpha');
  const b = deriveProjectKeys(master, 'beta');
  assert.equal(a1.pseudonym('9434765919'), a2.pseudonym('9434765919'));
  assert.notEqual(a1.pseudonym('9434765919'), b.pseudonym('9434765919'));
  assert.match(a1.pseudonym('9434765919'), /^HBR-[A-Z2-7]{16}$/);
  assert.equal(a1.dateOffsetDays('9434765919'), a2.dateOffsetDays('9434765919'));
});

test('a different master key gives unrelated pseudonyms', () => {
  const a = deriveProjectKeys(master, 'alpha');
  const other = deriveProjectKeys(randomBytes(32), 'alpha');
  assert.notEqual(a.pseudonym('9434765919'), other.pseudonym('9434765919'));
});

test('date offsets are never zero and within range', () => {
  const k = deriveProjectKeys(master, 'alpha');
  for (let i = 0; i < 2000; i++) {
    const off = k.dateOffsetDays(String(9000000000 + i));
    assert.notEqual(off, 0);
    assert.ok(Math.abs(off) <= MAX_DATE_SHIFT_DAYS);
  }
});

test('UIDs are valid 2.25 UIDs, stable and project-specific', () => {
  const k = deriveProjectKeys(master, 'alpha');
  const u = k.uid('1.2.826.0.1.3680043.8.498.1');
  assert.match(u, /^2\.25\.[1-9]\d*$/);
  assert.ok(u.length <= 64);
  assert.equal(u, k.uid('1.2.826.0.1.3680043.8.498.1\0'));
  assert.notEqual(u, deriveProjectKeys(master, 'beta').uid('1.2.826.0.1.3680043.8.498.1'));
});

test('date shifting keeps intervals and precision', () => {
  assert.equal(shiftDicomDate('20240301', -1), '20240229');
  assert.equal(shiftDicomDate('20230230', 5), undefined);
  assert.equal(shiftDicomDateTime('20240301120000.5+0100', -1), '20240229120000.5+0100');
  assert.equal(shiftFhirDate('2024-03-01T10:00:00Z', -1), '2024-02-29T10:00:00Z');
  assert.equal(shiftFhirDate('2024-03', 40), '2024-04');
  assert.equal(shiftFhirDate('2024', 400), '2025');
  assert.equal(shiftFhirDate('2024-02-30', 1), undefined);
});
