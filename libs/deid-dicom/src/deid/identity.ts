import { canonicalNhsNumber } from '@harbour/nhs';
import { DicomRejection } from '../errors.js';
import type { DElement } from '../parse/model.js';
import { find, stringValue } from '../parse/part10.js';

/** What a resolver is given to find the patient (the trust's identifiers as the file carries them). */
export interface PatientLookup {
  readonly patientId?: string;
  readonly issuerOfPatientId?: string;
  readonly otherIds: readonly { readonly id: string; readonly issuer?: string }[];
}

/** Resolves a trust's local identifiers to a canonical NHS number, or undefined when unknown. */
export type ResolvePatient = (lookup: PatientLookup) => Promise<string | undefined | null>;

/**
 * Issuers meaning "NHS number": the literal forms trusts use, the NHS number OID
 * (2.16.840.1.113883.2.1.4.1, NHS Data Dictionary / HL7 UK), and the FHIR identifier system.
 */
const NHS_ISSUER =
  /^(nhs|nhsn|nhs ?number|nhs_number|2\.16\.840\.1\.113883\.2\.1\.4\.1|https:\/\/fhir\.nhs\.uk\/id\/nhs-number|http:\/\/fhir\.nhs\.net\/id\/nhs-number)$/i;
export const isNhsIssuer = (issuer: string | undefined): boolean => issuer !== undefined && NHS_ISSUER.test(issuer.trim());

const T = {
  patientId: 0x00100020,
  issuer: 0x00100021,
  issuerQualifiers: 0x00100024,
  universalEntityId: 0x00400032,
  otherIds: 0x00101000,
  otherIdsSeq: 0x00101002,
} as const;

function issuerOf(item: readonly DElement[]): string | undefined {
  const direct = stringValue(find(item, T.issuer));
  if (direct) return direct;
  // Issuer of Patient ID Qualifiers Sequence > Universal Entity ID (PS3.3 §C.24.1).
  const q = find(item, T.issuerQualifiers)?.items?.[0]?.elements;
  return q ? stringValue(find(q, T.universalEntityId)) : undefined;
}

export function patientLookup(top: readonly DElement[]): PatientLookup {
  const otherIds: { id: string; issuer?: string }[] = [];
  for (const item of find(top, T.otherIdsSeq)?.items ?? []) {
    const id = stringValue(find(item.elements, T.patientId));
    if (id) otherIds.push({ id, issuer: issuerOf(item.elements) });
  }
  const deprecated = stringValue(find(top, T.otherIds));
  if (deprecated) for (const id of deprecated.split('\\')) if (id.trim()) otherIds.push({ id: id.trim() });
  return { patientId: stringValue(find(top, T.patientId)), issuerOfPatientId: issuerOf(top), otherIds };
}

/**
 * Find the patient's NHS number: Patient ID when it is a valid Modulus 11 NHS number and its issuer
 * (if stated) is the NHS; Other Patient IDs Sequence items issued by the NHS; the deprecated Other
 * Patient IDs; finally the injected resolver (the vault's MRN → NHS number map). Two different
 * valid NHS numbers in one file is a conflict, never a guess.
 */
export async function identifyPatient(top: readonly DElement[], resolve?: ResolvePatient): Promise<string> {
  const lookup = patientLookup(top);
  const found = new Set<string>();
  if (lookup.patientId && (lookup.issuerOfPatientId === undefined || isNhsIssuer(lookup.issuerOfPatientId))) {
    const nhs = canonicalNhsNumber(lookup.patientId);
    if (nhs) found.add(nhs);
  }
  for (const o of lookup.otherIds) {
    if (o.issuer !== undefined && !isNhsIssuer(o.issuer)) continue;
    const nhs = canonicalNhsNumber(o.id);
    if (nhs) found.add(nhs);
  }
  if (found.size > 1) throw new DicomRejection('patient_conflict', 'the file carries more than one distinct NHS number');
  const [only] = found;
  if (only) return only;
  if (resolve) {
    let resolved: string | undefined | null;
    try {
      resolved = await resolve(lookup);
    } catch {
      throw new DicomRejection('patient_resolver_error', 'the patient resolver failed');
    }
    const nhs = resolved ? canonicalNhsNumber(resolved) : undefined;
    if (nhs) return nhs;
  }
  throw new DicomRejection('patient_unidentified', 'no NHS number in the file and the resolver did not identify the patient');
}
