import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANNEX_E_EDITION, ANNEX_E_TABLE, annexERow, resolveAction, DICOM_DEID_PROFILE_VERSION, type AnnexEOption } from './profile.js';
import { Scrubber } from '../deid/scrub.js';

const none = new Set<AnnexEOption>();
const opts = (...o: AnnexEOption[]): Set<AnnexEOption> => new Set(o);

test('Table E.1-1 is committed as data with its edition', () => {
  assert.equal(ANNEX_E_EDITION, '2024b');
  assert.ok(ANNEX_E_TABLE.length > 600);
  assert.match(DICOM_DEID_PROFILE_VERSION, /2024b/);
  assert.equal(annexERow(0x00100010)?.basic, 'Z'); // Patient's Name
  assert.equal(annexERow(0x00080018)?.basic, 'U'); // SOP Instance UID
  assert.equal(annexERow(0x00081155)?.basic, 'U'); // Referenced SOP Instance UID
  assert.equal(annexERow(0x00880200)?.basic, 'X'); // Icon Image Sequence
  assert.equal(annexERow(0x60023000)?.name, 'Overlay Data'); // repeating group 60xx
  assert.equal(annexERow(0x50100000)?.name, 'Curve Data');
  assert.equal(annexERow(0x00080016), undefined); // SOP Class UID is not in the table: kept
});

test('actions resolve by option; combined codes resolve to their least-retaining part', () => {
  const row = (tag: number) => annexERow(tag)!;
  assert.equal(resolveAction(row(0x00080020), none), 'Z'); // Study Date
  assert.equal(resolveAction(row(0x00080020), opts('retainLongitudinalModifiedDates')), 'C');
  assert.equal(resolveAction(row(0x00080022), none), 'X'); // Acquisition Date X/Z
  assert.equal(resolveAction(row(0x00080023), none), 'Z'); // Content Date Z/D
  assert.equal(resolveAction(row(0x00081140), none), 'U'); // Referenced Image Sequence X/Z/U*
  assert.equal(resolveAction(row(0x00081140), opts('retainUids')), 'K');
  assert.equal(resolveAction(row(0x00101010), none), 'X'); // Patient's Age
  assert.equal(resolveAction(row(0x00101010), opts('retainPatientCharacteristics')), 'K');
  assert.equal(resolveAction(row(0x00080080), opts('retainInstitutionIdentity')), 'K');
  assert.equal(resolveAction(row(0x00181000), opts('retainDeviceIdentity')), 'K'); // Device Serial Number
  assert.equal(resolveAction(row(0x00081030), opts('cleanDescriptors')), 'C'); // Study Description
  // Device calibration date: Retain Device Identity says K, Modified Dates says C: C wins.
  assert.equal(resolveAction(row(0x00181200), opts('retainDeviceIdentity', 'retainLongitudinalModifiedDates')), 'C');
});

test('scrubber removes names, NHS numbers, dates, phones, e-mails and postcodes', () => {
  const s = new Scrubber(['SMITH^JANE^ANN', 'St Elsewhere Hospital']);
  const out = s.scrub(
    'Jane Smith (NHS 943 476 5919 / 943-476-5919) seen 01/02/2023 and 3rd March 2023 at St Elsewhere Hospital, tel 020 7946 0018, +44 7700 900123, jane@example.com, LS1 4AP.',
  );
  for (const leak of ['Jane', 'Smith', '943', '5919', '01/02/2023', 'March', 'Elsewhere', '7946', '900123', 'example.com', 'LS1']) {
    assert.ok(!out.includes(leak), `${leak} in ${out}`);
  }
  assert.match(out, /seen \*\*\* and \*\*\* at/);
  assert.equal(s.scrub('Chest CT with contrast'), 'Chest CT with contrast');
});
