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

/**
 * Quasi-identifier classes with their sizes: what k-anonymity needs, in memory bounded by the
 * number of distinct (birth year, sex, district) combinations rather than by the number of
 * patients, so a run over any extract size can count as it goes.
 */
export class QiClassCounts {
  private readonly classes = new Map<string, { q: QuasiIdentifiers; n: number }>();
  records = 0;

  add(q: QuasiIdentifiers, n = 1): void {
    this.records += n;
    const key = classKey(q);
    const c = this.classes.get(key);
    if (c) c.n += n;
    else this.classes.set(key, { q: { birthYear: q.birthYear, sex: q.sex, district: q.district }, n });
  }

  /** Each class once, with its size. */
  entries(): IterableIterator<{ q: QuasiIdentifiers; n: number }> {
    return this.classes.values();
  }

  /** The same classes after a generalisation (classes that become equal merge). */
  generalised(level: GeneralisationLevel): QiClassCounts {
    const out = new QiClassCounts();
    for (const c of this.classes.values()) out.add(generalise(c.q, level), c.n);
    return out;
  }

  /** k over the counted records; fully suppressed records are left out. */
  report(targetK = 0): KAnonymityReport {
    let suppressed = 0;
    let classes = 0;
    let k = Infinity;
    let below = 0;
    for (const { q, n } of this.classes.values()) {
      if (isSuppressed(q)) {
        suppressed += n;
        continue;
      }
      classes++;
      if (n < k) k = n;
      if (n < targetK) below += n;
    }
    return { k: k === Infinity ? 0 : k, records: this.records, classes, recordsBelowTarget: below, suppressed };
  }

  /** Size of the class a record falls in (0 when no counted record has these values). */
  sizeOf(q: QuasiIdentifiers): number {
    return this.classes.get(classKey(q))?.n ?? 0;
  }
}

/** Compute k over the records; fully suppressed records are left out (they carry no quasi-identifier). */
export function computeKAnonymity(records: readonly QuasiIdentifiers[], targetK = 0): KAnonymityReport {
  const counts = new QiClassCounts();
  for (const r of records) counts.add(r);
  return counts.report(targetK);
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

/** A decided generalisation: the level, the resulting report, and how to rewrite one record. */
export interface KAnonymityPlan {
  level: GeneralisationLevel;
  suppressed: number;
  report: KAnonymityReport;
  /**
   * The released values for a record with these original quasi-identifiers: generalised to the
   * level, or nothing at all (suppressed) when its class is smaller than the target. A record the
   * counts never saw falls in no class and is suppressed.
   */
  apply(q: QuasiIdentifiers): QuasiIdentifiers;
}

/**
 * Reach k-anonymity ≥ targetK from class counts: climb the generalisation ladder until suppressing
 * the records left in small classes costs at most `maxSuppressionRate` of them (default 5%), then
 * suppress those (local suppression: their birth year, sex and district are removed, the record
 * stays). Works on counts, so the records can be streamed past {@link KAnonymityPlan.apply}.
 */
export function planKAnonymity(counts: QiClassCounts, targetK: number, maxSuppressionRate = 0.05): KAnonymityPlan {
  let chosen = GENERALISATION_LADDER[GENERALISATION_LADDER.length - 1]!;
  let generalised = new QiClassCounts();
  for (const level of GENERALISATION_LADDER) {
    generalised = counts.generalised(level);
    chosen = level;
    if (generalised.report(targetK).recordsBelowTarget <= maxSuppressionRate * counts.records) break;
  }
  const released = new QiClassCounts();
  let suppressed = 0;
  for (const { q, n } of generalised.entries()) {
    if (isSuppressed(q) || n >= targetK) released.add(q, n);
    else {
      suppressed += n;
      released.add({}, n);
    }
  }
  const level = chosen;
  return {
    level,
    suppressed,
    report: released.report(targetK),
    apply: (q) => {
      const g = generalise(q, level);
      return isSuppressed(g) || generalised.sizeOf(g) >= targetK ? g : {};
    },
  };
}

/** {@link planKAnonymity} over records held in memory; returns them rewritten, in order. */
export function achieveKAnonymity(records: readonly QuasiIdentifiers[], targetK: number, maxSuppressionRate = 0.05): AnonymiseResult {
  const counts = new QiClassCounts();
  for (const r of records) counts.add(r);
  const plan = planKAnonymity(counts, targetK, maxSuppressionRate);
  return { level: plan.level, records: records.map((r) => plan.apply(r)), suppressed: plan.suppressed, report: plan.report };
}
