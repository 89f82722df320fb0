import { createHash } from 'node:crypto';
import type { CohortDefinition, Criterion, EventCriterion } from './cohort.types.js';

/** JSON with object keys sorted: the same value always gives the same text. */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`;
}

const sortedUnique = <T>(xs: readonly T[]): T[] => {
  const byKey = new Map<string, T>();
  for (const x of xs) byKey.set(stableStringify(x), x);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, x]) => x);
};

function canonicalEvent(c: EventCriterion): EventCriterion {
  switch (c.type) {
    case 'imaging':
      return { ...c, modalities: sortedUnique(c.modalities) };
    case 'observation':
    case 'condition':
    case 'medication':
    case 'procedure':
    case 'encounter':
      return { ...c, codes: sortedUnique(c.codes) };
  }
}

/**
 * The canonical form of a criterion: sets sorted and deduplicated, nested and/or of the same
 * kind flattened, single-child and/or unwrapped, double negation removed. Rephrasings that mean
 * the same thing get the same hash, so they cannot dodge the rate limit or the audit trail.
 */
export function canonicalCriterion(c: Criterion): Criterion {
  switch (c.type) {
    case 'age':
      return c;
    case 'sex':
      return { type: 'sex', anyOf: sortedUnique(c.anyOf) };
    case 'district':
      return { type: 'district', anyOf: sortedUnique(c.anyOf) };
    case 'and':
    case 'or': {
      const children = c.of.map(canonicalCriterion).flatMap((x) => (x.type === c.type ? x.of : [x]));
      const of = sortedUnique(children);
      return of.length === 1 && of[0] ? of[0] : { type: c.type, of };
    }
    case 'not': {
      const inner = canonicalCriterion(c.criterion);
      return inner.type === 'not' ? inner.criterion : { type: 'not', criterion: inner };
    }
    case 'temporal':
      return { ...c, first: canonicalEvent(c.first), then: canonicalEvent(c.then), minDays: c.minDays ?? 0 };
    case 'condition':
    case 'observation':
    case 'medication':
    case 'procedure':
    case 'encounter':
    case 'imaging':
      return canonicalEvent(c);
  }
}

export function canonicalCohort(def: CohortDefinition, defaultIndexDate: string): CohortDefinition {
  return { version: 1, indexDate: def.indexDate ?? defaultIndexDate, criteria: canonicalCriterion(def.criteria) };
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** Fields that are "parameters" of a query's shape: varying only these is a near-identical query. */
const TUNABLE = new Set(['min', 'max', 'from', 'to', 'withinDays', 'minDays', 'indexDate']);

function mask(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(mask);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, TUNABLE.has(k) ? '#' : mask(x)]));
  }
  return v;
}

export interface CohortFingerprint {
  /** Canonical JSON of the definition (index date resolved). */
  readonly canonical: string;
  /** sha-256 of `canonical`, hex: the audit trail's handle on the query. */
  readonly cohortHash: string;
  /** sha-256 of the canonical form with ages, values, dates and day counts masked: the rate-limit key. */
  readonly shapeHash: string;
}

export function fingerprint(def: CohortDefinition, defaultIndexDate: string): CohortFingerprint {
  const canon = canonicalCohort(def, defaultIndexDate);
  const canonical = stableStringify(canon);
  return { canonical, cohortHash: sha256(canonical), shapeHash: sha256(stableStringify(mask(canon))) };
}
