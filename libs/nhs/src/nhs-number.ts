/**
 * NHS number rules.
 *
 * An NHS number is ten digits; the tenth is a Modulus 11 check digit over the first nine
 * with weights 10..2 (NHS Data Dictionary, "NHS Number"). A remainder giving check 11 means 0;
 * check 10 means the number is invalid and was never issued.
 * Numbers starting 999 are reserved for testing and never issued to real people; Harbour's
 * synthetic data uses only that range.
 */

/** Strip the separators people and systems write NHS numbers with: spaces, dashes, dots. */
export function canonicalNhsNumber(input: string): string | undefined {
  const digits = input.trim().replace(/[\s\-.]/g, '');
  if (!/^\d{10}$/.test(digits)) return undefined;
  return isValidNhsNumber(digits) ? digits : undefined;
}

/**
 * True when `digits` is exactly ten digits and its Modulus 11 check digit is right, and it is not
 * a run of one repeated digit. 0000000000, 1111111111 and 9999999999 pass Modulus 11, but they are
 * never issued: hospital systems write them as "unknown" placeholders, and accepting one would
 * make every patient so recorded one person.
 */
export function isValidNhsNumber(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false;
  if (/^(\d)\1{9}$/.test(digits)) return false;
  const check = nhsCheckDigit(digits.slice(0, 9));
  return check !== undefined && check === Number(digits[9]);
}

/** The Modulus 11 check digit for nine leading digits, or undefined when none exists (remainder gives 10). */
export function nhsCheckDigit(nineDigits: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(nineDigits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

/** Format as people write it: 3-3-4 with spaces. */
export function formatNhsNumber(digits: string): string {
  return `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`;
}

/** FHIR identifier system for NHS numbers (NHS Digital FHIR profiles, UK Core). What Harbour writes. */
export const NHS_NUMBER_SYSTEM = 'https://fhir.nhs.uk/Id/nhs-number';

/**
 * Identifier systems that carry an NHS number in what trusts send: UK Core's, and the CareConnect
 * (STU3-era) `http://fhir.nhs.net/Id/nhs-number` that many interfaces still emit in R4 payloads.
 */
export const NHS_NUMBER_SYSTEMS: ReadonlySet<string> = new Set([NHS_NUMBER_SYSTEM, 'http://fhir.nhs.net/Id/nhs-number']);

export function isNhsNumberSystem(system: unknown): boolean {
  return typeof system === 'string' && NHS_NUMBER_SYSTEMS.has(system.trim());
}
