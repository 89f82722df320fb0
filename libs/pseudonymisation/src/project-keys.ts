import { createHmac, hkdfSync } from 'node:crypto';

/**
 * Keyed pseudonymisation shared by the DICOM and EHR de-identifiers.
 *
 * Every project gets its own key, derived from the station's master key with HKDF-SHA256
 * (RFC 5869) and the project id as `info`. From it come three independent sub-keys, one per
 * purpose, so a pseudonym never reveals anything about a date shift or a UID and vice versa.
 * Because everything is derived, any process on any machine with the same master key produces
 * the same pseudonyms, offsets and UIDs for a project: nothing is kept in process memory.
 * Pseudonyms are HMACs, never plain hashes (a plain hash of a 10-digit NHS number is
 * reversible by enumeration).
 */
export const PSEUDONYMISATION_SCHEME_VERSION = 'harbour-pseudo-v1';

/** Maximum absolute date shift in days; offsets are in [-MAX, +MAX] and never 0. */
export const MAX_DATE_SHIFT_DAYS = 365;

export interface ProjectKeys {
  readonly projectId: string;
  /** Pseudonym for a canonical (10-digit, check-digit valid) NHS number, e.g. `HBR-7Q2M…`. */
  pseudonym(canonicalNhsNumber: string): string;
  /** Whole-day offset applied to every date and date-time of this patient in this project. */
  dateOffsetDays(canonicalNhsNumber: string): number;
  /** Replacement for a DICOM UID (study, series, instance, frame of reference, any reference). */
  uid(originalUid: string): string;
  /** Replacement for any other record identifier (MRN, accession, encounter id) within a namespace. */
  recordId(namespace: string, original: string): string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array, chars: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
    if (out.length >= chars) break;
  }
  return out;
}

/** Derive the keys of one project from the station master key (at least 32 bytes). */
export function deriveProjectKeys(masterKey: Uint8Array, projectId: string): ProjectKeys {
  if (masterKey.length < 32) throw new Error('master key must be at least 32 bytes');
  if (!projectId) throw new Error('project id is required');
  const projectKey = Buffer.from(
    hkdfSync('sha256', masterKey, Buffer.from(PSEUDONYMISATION_SCHEME_VERSION), Buffer.from(`project:${projectId}`), 32),
  );
  const subKey = (purpose: string): Buffer => createHmac('sha256', projectKey).update(`purpose:${purpose}`).digest();
  const pseudonymKey = subKey('pseudonym');
  const dateKey = subKey('date-offset');
  const uidKey = subKey('dicom-uid');
  const recordKey = subKey('record-id');

  return {
    projectId,
    pseudonym(nhs: string): string {
      const mac = createHmac('sha256', pseudonymKey).update(nhs).digest();
      // 80 bits: collision probability stays negligible far beyond national populations.
      return `HBR-${base32(mac, 16)}`;
    },
    dateOffsetDays(nhs: string): number {
      const mac = createHmac('sha256', dateKey).update(nhs).digest();
      const n = mac.readUInt32BE(0) % (2 * MAX_DATE_SHIFT_DAYS);
      // Map 0..2M-1 onto -M..-1, 1..M: a zero shift would leave true dates in place.
      return n < MAX_DATE_SHIFT_DAYS ? n - MAX_DATE_SHIFT_DAYS : n - MAX_DATE_SHIFT_DAYS + 1;
    },
    uid(original: string): string {
      const mac = createHmac('sha256', uidKey).update(original.replace(/\0/g, '').trim()).digest();
      // DICOM PS3.5 B.2: "2.25." followed by the decimal form of a 128-bit UUID.
      // Set the RFC 9562 version 8 (custom) and variant bits so the value is a well-formed UUID.
      const b = Buffer.from(mac.subarray(0, 16));
      b[6] = (b[6]! & 0x0f) | 0x80;
      b[8] = (b[8]! & 0x3f) | 0x80;
      return `2.25.${BigInt(`0x${b.toString('hex')}`).toString(10)}`;
    },
    recordId(namespace: string, original: string): string {
      const mac = createHmac('sha256', recordKey).update(`${namespace}\u0000${original}`).digest();
      return base32(mac, 20).toLowerCase();
    },
  };
}
