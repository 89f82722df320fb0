import { postcodeArea } from '@harbour/nhs';

/**
 * k-anonymity (Sweeney 2002) over the quasi-identifiers Harbour releases for a patient: birth year,
 * sex and postcode district. k is the size of the smallest equivalence class: every released
 * patient shares their quasi-identifier values with at least k-1 others.
 */
export interface QuasiIdentifiers {
  /** Birth year as released (a year, or the first year of a band). */
  birthYear?: number;
  sex?: string;
  /** Postcode outward code (district), or area once generalised. */
  district?: string;
}

export interface KAnonymityReport {
  /** Smallest class size among non-suppressed records (0 when there are none). */
  k: number;
  records: number;
  classes: number;
  /** Records whose class is smaller than the target (when a target was given). */
  recordsBelowTarget: number;
  suppressed: number;
}

const SUPPRESSED = '*';

function classKey(q: QuasiIdentifiers): string {
  return `${q.birthYear ?? SUPPRESSED}|${q.sex ?? SUPPRESSED}|${q.district ?? SUPPRESSED}`;
}

function isSuppressed(q: QuasiIdentifiers): boolean {
  return q.birthYear === undefined && q.sex === undefined && q.district === undefined;
}

/** Compute k over the records; fully suppressed records are left out (they carry no quasi-identifier). */
export function computeKAnonymity(records: readonly QuasiIdentifiers[], targetK = 0): KAnonymityReport {
  const counts = new Map<string, number>();
  let suppressed = 0;
  for (const r of records) {
    if (isSuppressed(r)) {
      suppressed++;
      continue;
    }
    const key = classKey(r);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let k = counts.size > 0 ? Infinity : 0;
  let below = 0;
  for (const n of counts.values()) {
    if (n < k) k = n;
    if (n < targetK) below += n;
  }
  return { k: k === Infinity ? 0 : k, records: records.length, classes: counts.size, recordsBelowTarget: below, suppressed };
}

/** One rung of the generalisation ladder. */
export interface GeneralisationLevel {
  birthYear: 'year' | 'band5' | 'band10';
  district: 'district' | 'area';
}

/** From least to most general; tried in order. */
export const GENERALISATION_LADDER: readonly GeneralisationLevel[] = [
  { birthYear: 'year', district: 'district' },
  { birthYear: 'band5', district: 'district' },
  { birthYear: 'band10', district: 'district' },
  { birthYear: 'band10', district: 'area' },
];

/** Apply one generalisation level to a record. */
export function generalise(q: QuasiIdentifiers, level: GeneralisationLevel): QuasiIdentifiers {
  const out: QuasiIdentifiers = { sex: q.sex };
  if (q.birthYear !== undefined) {
    const y = q.birthYear;
    out.birthYear = level.birthYear === 'band5' ? y - (y % 5) : level.birthYear === 'band10' ? y - (y % 10) : y;
  }
  if (q.district !== undefined) out.district = level.district === 'area' ? (postcodeArea(q.district) ?? q.district) : q.district;
  return out;
}

export interface AnonymiseResult {
  level: GeneralisationLevel;
  /** Generalised records, same order as the input; suppressed ones have no quasi-identifiers. */
  records: QuasiIdentifiers[];
  suppressed: number;
  report: KAnonymityReport;
}

/**
 * Reach k-anonymity ≥ targetK: climb the generalisation ladder until suppressing the records left
 * in small classes costs at most `maxSuppressionRate` of them (default 5%), then suppress those
 * (local suppression: their birth year, sex and district are removed, the record stays).
 */
export function achieveKAnonymity(records: readonly QuasiIdentifiers[], targetK: number, maxSuppressionRate = 0.05): AnonymiseResult {
  let chosen = GENERALISATION_LADDER[GENERALISATION_LADDER.length - 1]!;
  let generalised: QuasiIdentifiers[] = [];
  for (const level of GENERALISATION_LADDER) {
    generalised = records.map((r) => generalise(r, level));
    const rep = computeKAnonymity(generalised, targetK);
    chosen = level;
    if (rep.recordsBelowTarget <= maxSuppressionRate * records.length) break;
  }
  const counts = new Map<string, number>();
  for (const r of generalised) if (!isSuppressed(r)) counts.set(classKey(r), (counts.get(classKey(r)) ?? 0) + 1);
  let suppressed = 0;
  const out = generalised.map((r) => {
    if (isSuppressed(r) || (counts.get(classKey(r)) ?? 0) >= targetK) return r;
    suppressed++;
    return {};
  });
  return { level: chosen, records: out, suppressed, report: computeKAnonymity(out, targetK) };
}
