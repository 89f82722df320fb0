import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalNhsNumber, isValidNhsNumber, nhsCheckDigit } from './nhs-number.js';
import { postcodeArea, postcodeOutward } from './postcode.js';

test('accepts NHS numbers with a correct Modulus 11 check digit', () => {
  // 943 476 5919 is the worked example used in NHS Digital documentation.
  assert.equal(isValidNhsNumber('9434765919'), true);
  assert.equal(canonicalNhsNumber('943 476 5919'), '9434765919');
  assert.equal(canonicalNhsNumber('943-476-5919'), '9434765919');
});

test('rejects wrong check digits, wrong lengths and non-digits', () => {
  assert.equal(isValidNhsNumber('9434765918'), false);
  assert.equal(isValidNhsNumber('943476591'), false);
  assert.equal(isValidNhsNumber('94347659190'), false);
  assert.equal(canonicalNhsNumber('94347659A9'), undefined);
  assert.equal(canonicalNhsNumber(''), undefined);
});

test('placeholders of one repeated digit pass Modulus 11 but are refused', () => {
  for (const placeholder of ['0000000000', '1111111111', '9999999999']) {
    assert.equal(nhsCheckDigit(placeholder.slice(0, 9)), Number(placeholder[9]), `${placeholder} passes Modulus 11`);
    assert.equal(isValidNhsNumber(placeholder), false);
    assert.equal(canonicalNhsNumber(placeholder), undefined);
  }
});

test('a check digit of 10 means the number can never be valid', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^\d{9}$/), (nine) => {
      const check = nhsCheckDigit(nine);
      if (check === undefined) {
        for (let d = 0; d <= 9; d++) assert.equal(isValidNhsNumber(nine + d), false);
      } else {
        assert.equal(isValidNhsNumber(nine + check), !/^(\d)\1{9}$/.test(nine + check));
      }
    }),
  );
});

test('postcode generalises to outward code and area', () => {
  assert.equal(postcodeOutward('ls1 4ap'), 'LS1');
  assert.equal(postcodeOutward('SW1A1AA'), 'SW1A');
  assert.equal(postcodeOutward('M1'), 'M1');
  assert.equal(postcodeOutward('not a postcode'), undefined);
  assert.equal(postcodeArea('EC1A 1BB'), 'EC');
});
