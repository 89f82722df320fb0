import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { Db } from '@harbour/persistence';
import type { CohortDefinition, EventCriterionType } from './cohort/cohort.types.js';
import { SKETCH_BUCKET_MASK, type SketchRow } from './differencing/cohort-sketch.js';
import type { RawCell } from './sdc/disclosure-control.js';
import { compileCohort } from './sql/cohort-sql.js';
import { SqlParams } from './sql/sql-params.js';
import type { QueryScope } from './query.types.js';

export const SEX_KEYS = ['female', 'male', 'other', 'unknown'] as const;
export const AGE_BAND_KEYS = ['0-9', '10-19', '20-29', '30-39', '40-49', '50-59', '60-69', '70-79', '80-89', '90+', 'unknown'] as const;

/** What to compute around a cohort in one statement. */
export interface AggregatePlan {
  readonly byTrust: boolean;
  readonly bySex: boolean;
  readonly byAgeBand: boolean;
  readonly byCode?: {
    readonly kind: EventCriterionType;
    readonly system?: string;
    readonly codes?: readonly string[];
    readonly limit: number;
    /** Without explicit codes, codes with fewer persons are not named at all. */
    readonly minPersons: number;
  };
  readonly statistic?: { readonly codeSystem: string; readonly observationCode: string; readonly unit?: string };
}

/** True (unprotected) figures: internal to the service, which applies disclosure control. */
export interface CohortAggregates {
  readonly total: number;
  readonly byTrust?: RawCell[];
  readonly bySex?: RawCell[];
  readonly byAgeBand?: RawCell[];
  readonly byCode?: RawCell[];
  readonly statistic?: {
    readonly n: number;
    readonly mean: number | null;
    readonly q1: number | null;
    readonly median: number | null;
    readonly q3: number | null;
  };
  readonly sketch: SketchRow[];
}

export interface NewRelease {
  readonly id: string;
  readonly partnerId: string;
  readonly projectId: string | null;
  readonly cohortHash: string;
  readonly canonicalCohort: string;
  readonly request: unknown;
  readonly released: unknown;
  readonly personCount: number;
  readonly sketch: Buffer;
}

export interface BudgetState {
  readonly totalMilli: number;
  readonly spentMilli: number;
}

export type ChargeOutcome = { readonly ok: true; readonly state: BudgetState } | { readonly ok: false; readonly state: BudgetState | null };

type Pair = [string, number];
const cellsOf = (pairs: Pair[] | null, keys?: readonly string[]): RawCell[] => {
  const found = new Map((pairs ?? []).map(([k, n]) => [k, n]));
  // Fixed category lists: every category is always present (zero when empty), so which
  // categories appear never depends on the data.
  return keys ? keys.map((key) => ({ key, n: found.get(key) ?? 0 })) : (pairs ?? []).map(([key, n]) => ({ key, n }));
};

/**
 * The only SQL of the query context. Every cohort method takes the scope: tenancy is in the
 * signature, and the compiled SQL applies the scope filter (trusts, opt-outs, consent) itself.
 */
@Injectable()
export class QueryRepository implements OnModuleDestroy {
  /** A tiny pool of its own for statements that must commit on their own (see countQueryAttempt). */
  private autonomous: pg.Pool | undefined;

  constructor(@Inject(Db) private readonly db: Db) {}

  async onModuleDestroy(): Promise<void> {
    await this.autonomous?.end();
    this.autonomous = undefined;
  }

  private autonomousPool(): pg.Pool {
    if (!this.autonomous) {
      const url = (this.db.dataSource.options as { url?: string }).url;
      if (!url) throw new Error('the data source has no url');
      // Separate from the main pool on purpose: borrowing a second connection from the pool the
      // caller's transaction already holds one of deadlocks once every connection is such a caller.
      this.autonomous = new pg.Pool({
        connectionString: url,
        max: 2,
        idleTimeoutMillis: 5000,
        allowExitOnIdle: true,
        application_name: 'harbour-query-autonomous',
      });
      this.autonomous.on('error', () => undefined); // an idle connection dropped by the server: the pool replaces it
    }
    return this.autonomous;
  }

  /**
   * Count a cohort and its requested breakdowns, statistic and person-set sketch in one statement.
   * With `releaseId`, the same statement records the persons it counted per scoped trust in
   * `query.release_member` (internal: compliance re-checks opt-outs, metering reads contributions).
   */
  async aggregateCohort(scope: QueryScope, def: CohortDefinition, plan: AggregatePlan, releaseId?: string): Promise<CohortAggregates> {
    return this.db.run(() => this.aggregateInTransaction(scope, def, plan, releaseId));
  }

  private async aggregateInTransaction(
    scope: QueryScope,
    def: CohortDefinition,
    plan: AggregatePlan,
    releaseId?: string,
  ): Promise<CohortAggregates> {
    // The cohort is materialised first into a temporary table of this transaction: CREATE TABLE AS
    // may use a parallel plan, whereas a statement with a data-modifying CTE (the member record)
    // never does. Counts and members then read the very same rows.
    const cohortParams = new SqlParams();
    const compiled = compileCohort(def, scope, cohortParams);
    const tmp = `harbour_cohort_${randomBytes(8).toString('hex')}`;
    await this.db.query(`CREATE TEMP TABLE ${tmp} ON COMMIT DROP AS ${compiled.sql}`, cohortParams.values);
    const params = new SqlParams();
    // Bound on first use: PostgreSQL refuses parameters a statement never references.
    let trustsRef: string | undefined;
    const cohort = {
      get trusts(): string {
        return (trustsRef ??= params.bind([...scope.trustIds], 'uuid[]'));
      },
      indexYear: compiled.indexYear,
    };
    const cols = ['(SELECT count(*) FROM persons)::int AS total'];
    const pairs = (inner: string): string => `(SELECT COALESCE(json_agg(json_build_array(x.k, x.n)), '[]'::json) FROM (${inner}) x)`;
    if (plan.byTrust) cols.push(`${pairs('SELECT trust_id::text AS k, count(*)::int AS n FROM cohort GROUP BY trust_id')} AS by_trust`);
    if (plan.bySex) cols.push(`${pairs('SELECT sex AS k, count(*)::int AS n FROM persons GROUP BY sex')} AS by_sex`);
    if (plan.byAgeBand) {
      const iy = params.bind(cohort.indexYear, 'int');
      const age = `GREATEST(${iy} - birth_year, 0)`;
      cols.push(
        `${pairs(
          `SELECT band AS k, count(*)::int AS n FROM (SELECT CASE WHEN birth_year IS NULL THEN 'unknown' WHEN ${age} >= 90 THEN '90+' ` +
            `ELSE ((${age} / 10) * 10)::text || '-' || ((${age} / 10) * 10 + 9)::text END AS band FROM persons) b GROUP BY band`,
        )} AS by_age`,
      );
    }
    if (plan.byCode) {
      const c = plan.byCode;
      const where = [`e.trust_id = ANY(${cohort.trusts})`, `e.kind = ${params.bind(c.kind, 'text')}`];
      if (c.system !== undefined) where.push(`e.code_system = ${params.bind(c.system, 'text')}`);
      if (c.codes !== undefined) where.push(`e.code = ANY(${params.bind(c.codes, 'text[]')})`);
      const having = c.codes === undefined ? ` HAVING count(DISTINCT e.person_id) >= ${params.bind(c.minPersons, 'int')}` : '';
      cols.push(
        `${pairs(
          `SELECT e.code_system || '|' || e.code AS k, count(DISTINCT e.person_id)::int AS n FROM research.event e JOIN persons ps ON ps.person_id = e.person_id ` +
            `WHERE ${where.join(' AND ')} GROUP BY e.code_system, e.code${having} ORDER BY n DESC, k LIMIT ${params.bind(c.limit, 'int')}`,
        )} AS by_code`,
      );
    }
    if (plan.statistic) {
      const s = plan.statistic;
      const unit = s.unit !== undefined ? ` AND e.unit = ${params.bind(s.unit, 'text')}` : '';
      // Each person's latest value, so a frequently measured person does not dominate.
      cols.push(
        `(SELECT json_build_array(count(*), avg(v), percentile_cont(0.25) WITHIN GROUP (ORDER BY v), percentile_cont(0.5) WITHIN GROUP (ORDER BY v), ` +
          `percentile_cont(0.75) WITHIN GROUP (ORDER BY v)) FROM (SELECT DISTINCT ON (e.person_id) e.value_num AS v FROM research.event e ` +
          `JOIN persons ps ON ps.person_id = e.person_id WHERE e.trust_id = ANY(${cohort.trusts}) AND e.kind = 'observation' ` +
          `AND e.code_system = ${params.bind(s.codeSystem, 'text')} AND e.code = ${params.bind(s.observationCode, 'text')}${unit} AND e.value_num IS NOT NULL ` +
          `ORDER BY e.person_id, e.event_date DESC NULLS LAST, e.id DESC) v) AS stat`,
      );
    }
    cols.push(
      `(SELECT COALESCE(json_agg(json_build_array(t.b, t.n, t.x::text)), '[]'::json) FROM (SELECT (h & ${SKETCH_BUCKET_MASK})::int AS b, count(*)::int AS n, bit_xor(h) AS x ` +
        `FROM (SELECT hashtextextended(person_id::text, 0) AS h FROM persons) hs GROUP BY 1) t) AS sketch`,
    );
    // A data-modifying CTE runs exactly once, with the statement's snapshot: the recorded members
    // are the very rows counted. One row per scoped trust, so an empty contribution is recorded too.
    if (releaseId !== undefined) {
      // One row per scoped trust, so an empty contribution is recorded too.
      await this.db.query(
        `INSERT INTO query.release_member (release_id, trust_id, person_ids) ` +
          `SELECT $1::uuid, t.trust_id, COALESCE(array_agg(DISTINCT c.person_id) FILTER (WHERE c.person_id IS NOT NULL), '{}') ` +
          `FROM unnest($2::uuid[]) AS t(trust_id) LEFT JOIN ${tmp} c ON c.trust_id = t.trust_id GROUP BY t.trust_id`,
        [releaseId, [...scope.trustIds]],
      );
    }
    const sql =
      `WITH cohort AS (SELECT * FROM ${tmp}), ` +
      `persons AS MATERIALIZED (SELECT DISTINCT ON (person_id) person_id, sex, birth_year FROM cohort ORDER BY person_id, trust_id) ` +
      `SELECT ${cols.join(', ')}`;
    const [row] = await this.db.query<{
      total: number;
      by_trust?: Pair[];
      by_sex?: Pair[];
      by_age?: Pair[];
      by_code?: Pair[];
      stat?: [number, number | null, number | null, number | null, number | null] | null;
      sketch: [number, number, string][];
    }>(sql, params.values);
    if (!row) throw new Error('aggregate query returned no row');
    const stat = row.stat;
    return {
      total: row.total,
      ...(plan.byTrust ? { byTrust: cellsOf(row.by_trust ?? null, scope.trustIds) } : {}),
      ...(plan.bySex ? { bySex: cellsOf(row.by_sex ?? null, SEX_KEYS) } : {}),
      ...(plan.byAgeBand ? { byAgeBand: cellsOf(row.by_age ?? null, AGE_BAND_KEYS) } : {}),
      ...(plan.byCode
        ? {
            byCode: cellsOf(
              row.by_code ?? null,
              plan.byCode.codes && plan.byCode.system !== undefined
                ? plan.byCode.codes.map((c) => `${plan.byCode?.system ?? ''}|${c}`)
                : undefined,
            ),
          }
        : {}),
      ...(plan.statistic
        ? {
            statistic: {
              n: stat?.[0] ?? 0,
              mean: stat?.[1] ?? null,
              q1: stat?.[2] ?? null,
              median: stat?.[3] ?? null,
              q3: stat?.[4] ?? null,
            },
          }
        : {}),
      sketch: row.sketch.map(([bucket, n, x]) => ({ bucket, n, x })),
    };
  }

  /**
   * Earlier releases to the partner that could differ from a cohort of `personCount` persons by
   * fewer than `threshold`: |A Δ B| ≥ ||A| − |B||, so only releases of a similar size are read.
   */
  async differencingCandidates(partnerId: string, personCount: number, threshold: number): Promise<{ id: string; sketch: Buffer }[]> {
    return this.db.query<{ id: string; sketch: Buffer }>(
      `SELECT id, sketch FROM query.release WHERE partner_id = $1::uuid AND person_count > 0 AND person_count BETWEEN $2::int AND $3::int`,
      [partnerId, personCount - threshold + 1, personCount + threshold - 1],
    );
  }

  /** Persons each scoped trust contributed to a release (internal: metering's revenue split). */
  async releaseContributions(releaseId: string): Promise<{ trustId: string; patients: number }[]> {
    return this.db.query<{ trustId: string; patients: number }>(
      `SELECT trust_id AS "trustId", cardinality(person_ids)::int AS patients FROM query.release_member WHERE release_id = $1::uuid ORDER BY trust_id`,
      [releaseId],
    );
  }

  async insertRelease(r: NewRelease): Promise<void> {
    await this.db.query(
      `INSERT INTO query.release (id, partner_id, project_id, cohort_hash, canonical_cohort, request, released, person_count, sketch)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::jsonb, $6::jsonb, $7::jsonb, $8::int, $9::bytea)`,
      [
        r.id,
        r.partnerId,
        r.projectId,
        r.cohortHash,
        r.canonicalCohort,
        JSON.stringify(r.request),
        JSON.stringify(r.released),
        r.personCount,
        r.sketch,
      ],
    );
  }

  /**
   * Count one more query of this shape in the partner's current window and return the count.
   * Deliberately on its own connection (a separate two-connection pool), committed at once: a
   * query refused later (differencing, budget) rolls back the caller's transaction, but the
   * attempt must still count, or refusals could be probed without limit.
   */
  async countQueryAttempt(partnerId: string, shapeHash: string, windowStart: Date): Promise<number> {
    const { rows } = await this.autonomousPool().query<{ count: number }>(
      `INSERT INTO query.rate_counter (partner_id, shape_hash, window_start, count) VALUES ($1::uuid, $2::text, $3::timestamptz, 1)
       ON CONFLICT (partner_id, shape_hash, window_start) DO UPDATE SET count = query.rate_counter.count + 1 RETURNING count`,
      [partnerId, shapeHash, windowStart],
    );
    return rows[0]?.count ?? 1;
  }

  /** Create a project's budget, or change its total; what was spent is never reset. */
  async setPrivacyBudget(projectId: string, totalMilli: number): Promise<BudgetState> {
    const [row] = await this.db.query<{ total: number; spent: number }>(
      `INSERT INTO query.privacy_budget (project_id, epsilon_total_milli, epsilon_spent_milli) VALUES ($1::uuid, $2::int, 0)
       ON CONFLICT (project_id) DO UPDATE SET epsilon_total_milli = EXCLUDED.epsilon_total_milli, updated_at = now()
       RETURNING epsilon_total_milli AS total, epsilon_spent_milli AS spent`,
      [projectId, totalMilli],
    );
    if (!row) throw new Error('budget upsert returned no row');
    return { totalMilli: row.total, spentMilli: row.spent };
  }

  async getPrivacyBudget(projectId: string): Promise<BudgetState | null> {
    const [row] = await this.db.query<{ total: number; spent: number }>(
      `SELECT epsilon_total_milli AS total, epsilon_spent_milli AS spent FROM query.privacy_budget WHERE project_id = $1::uuid`,
      [projectId],
    );
    return row ? { totalMilli: row.total, spentMilli: row.spent } : null;
  }

  /**
   * Charge the budget under a row lock (SELECT … FOR UPDATE) in the caller's transaction:
   * concurrent queries of the project queue on the lock, so the checks cannot interleave and
   * overspend. The charge is recorded with the release it paid for.
   */
  async chargePrivacyBudget(
    projectId: string,
    partnerId: string,
    releaseId: string,
    cohortHash: string,
    epsilonMilli: number,
  ): Promise<ChargeOutcome> {
    return this.db.run(async () => {
      const [row] = await this.db.query<{ total: number; spent: number }>(
        `SELECT epsilon_total_milli AS total, epsilon_spent_milli AS spent FROM query.privacy_budget WHERE project_id = $1::uuid FOR UPDATE`,
        [projectId],
      );
      if (!row) return { ok: false, state: null };
      if (row.spent + epsilonMilli > row.total) return { ok: false, state: { totalMilli: row.total, spentMilli: row.spent } };
      await this.db.query(
        `UPDATE query.privacy_budget SET epsilon_spent_milli = epsilon_spent_milli + $2::int, updated_at = now() WHERE project_id = $1::uuid`,
        [projectId, epsilonMilli],
      );
      await this.db.query(
        `INSERT INTO query.privacy_charge (project_id, partner_id, release_id, cohort_hash, epsilon_milli) VALUES ($1::uuid, $2::uuid, $3::uuid, $4::text, $5::int)`,
        [projectId, partnerId, releaseId, cohortHash, epsilonMilli],
      );
      return { ok: true, state: { totalMilli: row.total, spentMilli: row.spent + epsilonMilli } };
    });
  }
}
