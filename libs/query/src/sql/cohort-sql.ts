import type { CodeRef, CohortDefinition, Criterion, EventCriterion } from '../cohort/cohort.types.js';
import type { QueryScope } from '../query.types.js';
import type { SqlParams } from './sql-params.js';

/**
 * Compiles a validated cohort definition to SQL over the research store. Part of the repository
 * layer: only query.repository.ts runs what it builds. Identifiers (tables, columns, aliases) are
 * constants of this file; every value is a bound parameter (sql-params.ts).
 *
 * Semantics (README "Cohort language"):
 * - The unit is the person (research.patient.person_id links one person across trusts). A person's
 *   records at the scope's trusts are pooled: events from any scoped trust count.
 * - Demographic criteria are evaluated on each trust's patient record; a person qualifies through
 *   any of their scoped records (and a trust breakdown counts the records that qualify).
 * - Every criterion compiles either to a predicate on that patient row (demographics, and
 *   combinations of them) or to a set of person ids (events, temporal, and mixtures), combined
 *   with INTERSECT / UNION / EXCEPT, which PostgreSQL runs as hash set operations and semi-joins
 *   instead of a correlated subquery per patient.
 */

interface Compiled {
  /** Boolean SQL over a research.patient row aliased by the argument. */
  readonly pred?: (alias: string) => string;
  /** A SELECT of person ids. */
  readonly set?: string;
}

export interface CompiledCohort {
  /**
   * SELECT trust_id, person_id, sex, birth_year: the cohort's patient records at scoped trusts,
   * never of opted-out persons, and only of consenting persons when the scope requires consent.
   */
  readonly sql: string;
  /** Placeholder of the scope's trust ids, for the aggregates around the cohort. */
  readonly trusts: string;
  /** Year ages are computed at (index date, else the scope's asOf). */
  readonly indexYear: number;
}

const KIND: Record<EventCriterion['type'], string> = {
  condition: 'condition',
  observation: 'observation',
  medication: 'medication',
  procedure: 'procedure',
  encounter: 'encounter',
  imaging: 'imaging',
};

class CohortCompiler {
  private aliasSeq = 0;

  constructor(
    private readonly params: SqlParams,
    private readonly trusts: string,
    private readonly indexYear: number,
  ) {}

  private alias(prefix: 'e' | 'px'): string {
    return `${prefix}${++this.aliasSeq}`;
  }

  private codes(a: string, codes: readonly CodeRef[]): string {
    const bySystem = new Map<string, string[]>();
    for (const c of codes) bySystem.set(c.system, [...(bySystem.get(c.system) ?? []), c.code]);
    const perSystem = [...bySystem].map(
      ([system, cs]) => `${a}.code_system = ${this.params.bind(system, 'text')} AND ${a}.code = ANY(${this.params.bind(cs, 'text[]')})`,
    );
    if (perSystem.length === 1) return perSystem[0] ?? 'false';
    // Several systems: `code = ANY(all codes)` first so the (kind, code, …) index still narrows
    // the scan; the per-system pairs then make the match exact.
    const all = this.params.bind([...new Set(codes.map((c) => c.code))], 'text[]');
    return `${a}.code = ANY(${all}) AND (${perSystem.map((x) => `(${x})`).join(' OR ')})`;
  }

  /** WHERE conditions of research.event rows (alias `a`) matching an event criterion. */
  eventFilter(a: string, c: EventCriterion): string {
    const where = [`${a}.trust_id = ANY(${this.trusts})`, `${a}.kind = ${this.params.bind(KIND[c.type], 'text')}`];
    switch (c.type) {
      case 'imaging':
        where.push(`${a}.code = ANY(${this.params.bind(c.modalities, 'text[]')})`);
        break;
      case 'observation':
        where.push(this.codes(a, c.codes));
        if (c.value?.min !== undefined) where.push(`${a}.value_num >= ${this.params.bind(c.value.min, 'float8')}`);
        if (c.value?.max !== undefined) where.push(`${a}.value_num <= ${this.params.bind(c.value.max, 'float8')}`);
        if (c.value?.unit !== undefined) where.push(`${a}.unit = ${this.params.bind(c.value.unit, 'text')}`);
        break;
      case 'condition':
      case 'medication':
      case 'procedure':
      case 'encounter':
        where.push(this.codes(a, c.codes));
        break;
    }
    if (c.from !== undefined) where.push(`${a}.event_date >= ${this.params.bind(c.from, 'date')}`);
    if (c.to !== undefined) where.push(`${a}.event_date <= ${this.params.bind(c.to, 'date')}`);
    return where.join(' AND ');
  }

  private allPersons(): string {
    return `SELECT pa.person_id FROM research.patient pa WHERE pa.trust_id = ANY(${this.trusts})`;
  }

  private toSet(r: Compiled): string {
    if (r.pred === undefined) return r.set ?? this.allPersons();
    const px = this.alias('px');
    const inSet = r.set !== undefined ? ` AND ${px}.person_id IN (${r.set})` : '';
    return `SELECT ${px}.person_id FROM research.patient ${px} WHERE ${px}.trust_id = ANY(${this.trusts}) AND (${r.pred(px)})${inSet}`;
  }

  compile(c: Criterion): Compiled {
    switch (c.type) {
      case 'age': {
        // Only the birth year is kept, so age at the index date is index year − birth year
        // (possibly one year more than the completed age). Written on birth_year so an index
        // on it could serve.
        const lo = c.max !== undefined ? this.params.bind(this.indexYear - c.max, 'int') : undefined;
        const hi = c.min !== undefined ? this.params.bind(this.indexYear - c.min, 'int') : undefined;
        return {
          pred: (p) =>
            [lo !== undefined ? `${p}.birth_year >= ${lo}` : '', hi !== undefined ? `${p}.birth_year <= ${hi}` : '']
              .filter(Boolean)
              .join(' AND '),
        };
      }
      case 'sex': {
        const v = this.params.bind(c.anyOf, 'text[]');
        return { pred: (p) => `${p}.sex = ANY(${v})` };
      }
      case 'district': {
        const v = this.params.bind(c.anyOf, 'text[]');
        return { pred: (p) => `${p}.district = ANY(${v})` };
      }
      case 'condition':
      case 'observation':
      case 'medication':
      case 'procedure':
      case 'encounter':
      case 'imaging': {
        const e = this.alias('e');
        return { set: `SELECT ${e}.person_id FROM research.event ${e} WHERE ${this.eventFilter(e, c)}` };
      }
      case 'temporal': {
        const a = this.alias('e');
        const b = this.alias('e');
        const min = this.params.bind(c.minDays ?? 0, 'int');
        const max = this.params.bind(c.withinDays, 'int');
        return {
          set:
            `SELECT ${a}.person_id FROM research.event ${a} JOIN research.event ${b} ON ${b}.person_id = ${a}.person_id ` +
            `WHERE ${this.eventFilter(a, c.first)} AND ${this.eventFilter(b, c.then)} ` +
            `AND ${b}.event_date >= ${a}.event_date + ${min} AND ${b}.event_date <= ${a}.event_date + ${max}`,
        };
      }
      case 'and': {
        const parts = c.of.map((x) => this.compile(x));
        const preds = parts.flatMap((x) => (x.pred ? [x.pred] : []));
        const sets = parts.flatMap((x) => (x.set !== undefined ? [x.set] : []));
        return {
          ...(preds.length > 0 ? { pred: (p: string) => preds.map((f) => `(${f(p)})`).join(' AND ') } : {}),
          ...(sets.length > 0 ? { set: sets.length === 1 ? sets[0] : sets.map((s) => `(${s})`).join(' INTERSECT ') } : {}),
        };
      }
      case 'or': {
        const parts = c.of.map((x) => this.compile(x));
        if (parts.every((x) => x.set === undefined)) {
          const preds = parts.flatMap((x) => (x.pred ? [x.pred] : []));
          return { pred: (p) => preds.map((f) => `(${f(p)})`).join(' OR ') };
        }
        return { set: parts.map((x) => `(${this.toSet(x)})`).join(' UNION ') };
      }
      case 'not': {
        const inner = this.compile(c.criterion);
        const pred = inner.pred;
        if (inner.set === undefined && pred) return { pred: (p) => `NOT COALESCE((${pred(p)}), false)` };
        return { set: `(${this.allPersons()}) EXCEPT (${this.toSet(inner)})` };
      }
    }
  }
}

/** Year of a `YYYY-MM-DD` date, or of the scope's asOf (UTC). */
export function indexYearOf(def: CohortDefinition, asOf: Date): number {
  return def.indexDate !== undefined ? Number(def.indexDate.slice(0, 4)) : asOf.getUTCFullYear();
}

/**
 * The scope filter every query gets, whatever the cohort: scoped trusts only, never an opted-out
 * person (any consent.opt_out row for the person's NHS-number blind index, any kind, any trust:
 * a National Data Opt-out is the person's choice wherever their data is), and when the scope
 * requires study consent, only persons with an active permit for the project (or for any
 * research use: scope null) in force at asOf and no active deny in force at asOf that started
 * at or after that permit (a later decision wins; a tie goes to deny).
 */
function scopeFilter(p: string, scope: QueryScope, params: SqlParams, trusts: string): string {
  const where = [
    `${p}.trust_id = ANY(${trusts})`,
    `NOT EXISTS (SELECT 1 FROM consent.person cp JOIN consent.opt_out oo ON oo.nhs_bidx = cp.nhs_bidx WHERE cp.id = ${p}.person_id)`,
  ];
  if (scope.requireStudyConsent) {
    const project = params.bind(scope.projectId ?? null, 'text');
    const asOf = params.bind(scope.asOf.toISOString().slice(0, 10), 'date');
    const inForce = (s: string): string =>
      `${s}.status = 'active' AND (${s}.scope IS NULL OR ${s}.scope = ${project}) ` +
      `AND (${s}.period_start IS NULL OR ${s}.period_start <= ${asOf}) AND (${s}.period_end IS NULL OR ${s}.period_end >= ${asOf})`;
    where.push(
      `EXISTS (SELECT 1 FROM consent.study_consent sp WHERE sp.person_id = ${p}.person_id AND sp.decision = 'permit' AND ${inForce('sp')} ` +
        `AND NOT EXISTS (SELECT 1 FROM consent.study_consent sd WHERE sd.person_id = sp.person_id AND sd.decision = 'deny' AND ${inForce('sd')} ` +
        `AND COALESCE(sd.period_start, '-infinity'::date) >= COALESCE(sp.period_start, '-infinity'::date)))`,
    );
  }
  return where.join(' AND ');
}

export function compileCohort(def: CohortDefinition, scope: QueryScope, params: SqlParams): CompiledCohort {
  const trusts = params.bind([...scope.trustIds], 'uuid[]');
  const indexYear = indexYearOf(def, scope.asOf);
  const compiler = new CohortCompiler(params, trusts, indexYear);
  const root = compiler.compile(def.criteria);
  const where = [scopeFilter('p', scope, params, trusts)];
  if (root.pred) where.push(`(${root.pred('p')})`);
  if (root.set !== undefined) where.push(`p.person_id IN (${root.set})`);
  return {
    sql: `SELECT p.trust_id, p.person_id, p.sex, p.birth_year FROM research.patient p WHERE ${where.join(' AND ')}`,
    trusts,
    indexYear,
  };
}
