import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError } from '@harbour/errors';
import { fingerprint, type CohortFingerprint } from './cohort/canonical.js';
import { parseCohortDefinition } from './cohort/cohort-parse.js';
import { EVENT_CRITERION_TYPES, type CohortDefinition } from './cohort/cohort.types.js';
import { encodeSketch, isDifferencingRisk } from './differencing/cohort-sketch.js';
import { EPSILON_UNIT, epsilonToMilli, noisyCounts } from './privacy/discrete-laplace.js';
import { QueryRepository, type AggregatePlan, type BudgetState, type CohortAggregates } from './query.repository.js';
import { protectBreakdown, protectCount, roundSignificant, type RawCell } from './sdc/disclosure-control.js';
import { effectiveSdcPolicy, type SdcPolicy } from './sdc/sdc-policy.js';
import type {
  AggregateOptions,
  AggregateResult,
  BreakdownDimension,
  BreakdownResult,
  FeasibilityResult,
  Cell,
  PrivacyCharge,
  QueryAudit,
  QueryOptions,
  QueryScope,
  SdcAction,
  StatisticRequest,
  StatisticResult,
} from './query.types.js';

interface Released {
  readonly total: Cell;
  readonly breakdowns: BreakdownResult[];
  readonly statistic?: StatisticResult;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRINTABLE = /^[\x20-\x7e]{1,200}$/;
const DIMENSIONS: readonly BreakdownDimension[] = ['trust', 'sex', 'ageBand', 'code'];
const MAX_TRUSTS = 500;
const MAX_EPSILON = 10;
const DEFAULT_CODE_LIMIT = 20;

const bad = (message: string): DomainError => new DomainError('invalid_request', message);

export interface PrivacyBudgetView {
  readonly projectId: string;
  readonly epsilonTotal: number;
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
}

const budgetView = (projectId: string, s: BudgetState): PrivacyBudgetView => ({
  projectId,
  epsilonTotal: s.totalMilli / EPSILON_UNIT,
  epsilonSpent: s.spentMilli / EPSILON_UNIT,
  epsilonRemaining: Math.max(0, s.totalMilli - s.spentMilli) / EPSILON_UNIT,
});

function checkScope(scope: QueryScope, partnerId: string): void {
  if (!Array.isArray(scope.trustIds) || scope.trustIds.length === 0) throw bad('the scope names no trust');
  if (scope.trustIds.length > MAX_TRUSTS || !scope.trustIds.every((t) => typeof t === 'string' && UUID.test(t)))
    throw bad('the scope trust ids are invalid');
  if (new Set(scope.trustIds).size !== scope.trustIds.length) throw bad('the scope names a trust twice');
  if (!(scope.asOf instanceof Date) || Number.isNaN(scope.asOf.getTime())) throw bad('the scope asOf is not a date');
  if (scope.projectId !== undefined && !UUID.test(scope.projectId)) throw bad('the scope project id is invalid');
  if (scope.requireStudyConsent && scope.projectId === undefined) throw bad('study consent needs the project id');
  if (!UUID.test(partnerId)) throw bad('the partner id is invalid');
}

/**
 * Cohort queries for the access layer: feasibility counts and aggregates over the de-identified
 * research store, with statistical disclosure control, the differencing defence, rate limits and
 * (optionally) a differential-privacy budget. Never returns record-level data.
 *
 * The caller authorises, builds the scope from the project's approvals, wraps the call in
 * `db.run` and writes the audit entry from the returned `QueryAudit` fields. Refusals are
 * DomainErrors: `invalid_cohort`, `invalid_request`, `rate_limited`, `disclosure_refused`,
 * `privacy_budget_exhausted`. Suppressed and withheld figures are typed results.
 */
@Injectable()
export class QueryService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(QueryRepository) private readonly repo: QueryRepository,
  ) {}

  /** Without Nest: `QueryService.create(runtime.db)`. */
  static create(db: Db): QueryService {
    return new QueryService(db, new QueryRepository(db));
  }

  /** Validate a cohort definition and compute its hashes, without running it. */
  validateCohort(cohort: unknown, asOf: Date): { readonly definition: CohortDefinition } & CohortFingerprint {
    const definition = parseCohortDefinition(cohort);
    return { definition, ...fingerprint(definition, asOf.toISOString().slice(0, 10)) };
  }

  /** How many persons match the cohort, disclosure-controlled. */
  async feasibility(scope: QueryScope, cohort: unknown, options: QueryOptions): Promise<FeasibilityResult> {
    const r = await this.execute('feasibility', scope, cohort, { ...options, breakdowns: [] });
    return { ...r.audit, count: r.total };
  }

  /** The cohort's total, 1-D breakdowns and an observation statistic, disclosure-controlled. */
  async aggregate(scope: QueryScope, cohort: unknown, options: AggregateOptions): Promise<AggregateResult> {
    const r = await this.execute('aggregate', scope, cohort, options);
    return { ...r.audit, total: r.total, breakdowns: r.breakdowns, ...(r.statistic ? { statistic: r.statistic } : {}) };
  }

  /**
   * True persons each scoped trust contributed to a release, for metering's revenue split.
   * Internal: not disclosure-controlled, never to be returned to a partner.
   */
  async releaseContributions(releaseId: string): Promise<{ trustId: string; patients: number }[]> {
    if (!UUID.test(releaseId)) throw bad('the release id is invalid');
    return this.repo.releaseContributions(releaseId);
  }

  async setPrivacyBudget(projectId: string, totalEpsilon: number): Promise<PrivacyBudgetView> {
    if (!UUID.test(projectId)) throw bad('the project id is invalid');
    if (!Number.isFinite(totalEpsilon) || totalEpsilon < 0 || totalEpsilon > 1000) throw bad('the budget must be between 0 and 1000');
    return budgetView(projectId, await this.repo.setPrivacyBudget(projectId, epsilonToMilli(totalEpsilon)));
  }

  async getPrivacyBudget(projectId: string): Promise<PrivacyBudgetView | null> {
    if (!UUID.test(projectId)) throw bad('the project id is invalid');
    const s = await this.repo.getPrivacyBudget(projectId);
    return s ? budgetView(projectId, s) : null;
  }

  private plan(options: AggregateOptions, policy: SdcPolicy, privacy: boolean): AggregatePlan {
    const dims = options.breakdowns ?? [];
    if (!Array.isArray(dims) || dims.some((d) => !DIMENSIONS.includes(d)) || new Set(dims).size !== dims.length)
      throw bad('breakdowns are invalid');
    let byCode: AggregatePlan['byCode'];
    if (dims.includes('code')) {
      const c = options.codeBreakdown;
      if (!c || !EVENT_CRITERION_TYPES.includes(c.kind)) throw bad('a code breakdown needs codeBreakdown.kind');
      if (c.system !== undefined && !PRINTABLE.test(c.system)) throw bad('codeBreakdown.system is invalid');
      if (c.codes !== undefined) {
        if (
          !Array.isArray(c.codes) ||
          c.codes.length === 0 ||
          c.codes.length > 200 ||
          !c.codes.every((x) => typeof x === 'string' && PRINTABLE.test(x))
        ) {
          throw bad('codeBreakdown.codes are invalid');
        }
        if (c.system === undefined) throw bad('codeBreakdown.codes need codeBreakdown.system');
      }
      // Choosing the most frequent codes looks at the data: not differentially private.
      if (privacy && c.codes === undefined) throw bad('with a privacy budget, a code breakdown must list its codes');
      const limit = c.codes ? c.codes.length : (c.limit ?? DEFAULT_CODE_LIMIT);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw bad('codeBreakdown.limit must be 1 … 200');
      byCode = {
        kind: c.kind,
        ...(c.system !== undefined ? { system: c.system } : {}),
        ...(c.codes !== undefined ? { codes: [...new Set(c.codes)] } : {}),
        limit,
        minPersons: policy.threshold,
      };
    }
    const s = options.statistic;
    if (s && (!PRINTABLE.test(s.observationCode) || !PRINTABLE.test(s.codeSystem) || (s.unit !== undefined && !PRINTABLE.test(s.unit)))) {
      throw bad('the statistic is invalid');
    }
    return {
      byTrust: dims.includes('trust'),
      bySex: dims.includes('sex'),
      byAgeBand: dims.includes('ageBand'),
      ...(byCode ? { byCode } : {}),
      // Under a privacy budget statistics are withheld, so they are not even computed.
      ...(s && !privacy
        ? { statistic: { codeSystem: s.codeSystem, observationCode: s.observationCode, ...(s.unit !== undefined ? { unit: s.unit } : {}) } }
        : {}),
    };
  }

  private async execute(
    kind: 'feasibility' | 'aggregate',
    given: QueryScope,
    cohort: unknown,
    options: AggregateOptions,
  ): Promise<Released & { audit: QueryAudit }> {
    checkScope(given, options.partnerId);
    // PostgreSQL prints uuids in lower case: normalise so the trust cells match their keys.
    const scope: QueryScope = { ...given, trustIds: given.trustIds.map((t) => t.toLowerCase()) };
    const policy = effectiveSdcPolicy(options.sdc);
    const { definition, canonical, cohortHash, shapeHash } = this.validateCohort(cohort, scope.asOf);
    const privacy = options.privacy;
    let epsilonMilli = 0;
    if (privacy) {
      epsilonMilli = epsilonToMilli(privacy.epsilon);
      if (!Number.isFinite(privacy.epsilon) || epsilonMilli < 1 || privacy.epsilon > MAX_EPSILON)
        throw bad(`epsilon must be between 0.001 and ${MAX_EPSILON}`);
      if (scope.projectId === undefined) throw bad('a privacy budget belongs to a project: the scope needs the project id');
    }
    const plan = this.plan(options, policy, privacy !== undefined);

    // Rate limit first, before any data is read; counted even if the query is refused later.
    const windowMs = policy.rateLimitWindowSeconds * 1000;
    const windowStart = new Date(Math.floor(Date.now() / windowMs) * windowMs);
    const attempts = await this.repo.countQueryAttempt(options.partnerId, shapeHash, windowStart);
    if (attempts > policy.rateLimitMax) {
      throw new DomainError('rate_limited', 'too many similar queries: try again later', {
        retryAfter: new Date(windowStart.getTime() + windowMs).toISOString(),
      });
    }

    return this.db.run(async () => {
      const releaseId = randomUUID();
      let charge: PrivacyCharge | undefined;
      if (privacy && scope.projectId !== undefined) {
        // Charged before the data is read, whatever the result: the charge depends on the request only.
        const outcome = await this.repo.chargePrivacyBudget(scope.projectId, options.partnerId, releaseId, cohortHash, epsilonMilli);
        if (!outcome.ok) {
          throw new DomainError(
            'privacy_budget_exhausted',
            outcome.state ? 'the project privacy budget is exhausted' : 'the project has no privacy budget',
            outcome.state ? { epsilonRemaining: Math.max(0, outcome.state.totalMilli - outcome.state.spentMilli) / EPSILON_UNIT } : {},
          );
        }
        charge = {
          projectId: scope.projectId,
          epsilonCharged: epsilonMilli / EPSILON_UNIT,
          epsilonSpent: outcome.state.spentMilli / EPSILON_UNIT,
          epsilonTotal: outcome.state.totalMilli / EPSILON_UNIT,
          mechanism: 'discrete_laplace',
        };
      }

      const agg = await this.repo.aggregateCohort(scope, definition, plan, releaseId);
      const sketch = encodeSketch(agg.sketch);
      // The differencing defence; under a privacy budget the noise already bounds what any
      // combination of releases reveals, and a data-dependent refusal would leak outside it.
      if (!privacy && agg.total > 0) {
        for (const earlier of await this.repo.differencingCandidates(options.partnerId, agg.total, policy.differencingThreshold)) {
          if (isDifferencingRisk(sketch, earlier.sketch, policy.differencingThreshold)) {
            throw new DomainError('disclosure_refused', 'the result combined with an earlier release could identify individuals');
          }
        }
      }

      const actions: SdcAction[] = [];
      const released = this.protect(agg, plan, options.statistic, policy, scope, privacy ? { epsilonMilli } : undefined, actions);
      const audit: QueryAudit = {
        releaseId,
        cohortHash,
        canonicalCohort: canonical,
        policy,
        actions,
        ...(charge ? { privacy: charge } : {}),
      };
      await this.repo.insertRelease({
        id: releaseId,
        partnerId: options.partnerId,
        projectId: scope.projectId ?? null,
        cohortHash,
        canonicalCohort: canonical,
        request: {
          kind,
          trustIds: scope.trustIds,
          requireStudyConsent: scope.requireStudyConsent === true,
          asOf: scope.asOf.toISOString(),
          breakdowns: options.breakdowns ?? [],
          ...(options.codeBreakdown ? { codeBreakdown: options.codeBreakdown } : {}),
          ...(options.statistic ? { statistic: options.statistic } : {}),
          ...(privacy ? { epsilon: epsilonMilli / EPSILON_UNIT } : {}),
        },
        released: { ...released, actions },
        personCount: agg.total,
        sketch,
      });
      return { audit, ...released };
    });
  }

  /** Noise (under a budget), then suppression, secondary suppression and rounding. */
  private protect(
    agg: CohortAggregates,
    plan: AggregatePlan,
    asked: StatisticRequest | undefined,
    policy: SdcPolicy,
    scope: QueryScope,
    privacy: { epsilonMilli: number } | undefined,
    actions: SdcAction[],
  ): Released {
    const dims: [BreakdownDimension, RawCell[] | undefined, boolean, number][] = [
      // [dimension, cells, additive, L1 sensitivity of the cell vector]
      ['trust', agg.byTrust, true, scope.trustIds.length],
      ['sex', agg.bySex, true, 1],
      ['ageBand', agg.byAgeBand, true, 1],
      ['code', agg.byCode, false, Math.max(1, plan.byCode?.codes?.length ?? 1)],
    ];
    const present = dims.filter((d): d is [BreakdownDimension, RawCell[], boolean, number] => d[1] !== undefined);
    // Sequential composition: the total and each breakdown get an equal share of epsilon.
    const shares = 1 + present.length;
    const noisy = (target: string, counts: number[], sensitivity: number): number[] => {
      if (!privacy) return counts;
      const r = noisyCounts(counts, sensitivity * shares, privacy.epsilonMilli);
      actions.push({ rule: 'noise_added', target, mechanism: 'discrete_laplace', scale: r.scale });
      return r.values.map((v) => Math.max(0, v)); // clamping is post-processing: still private
    };
    const [total = 0] = noisy('total', [agg.total], 1);
    const totalCell = protectCount(total, policy);
    if (totalCell.suppressed) actions.push({ rule: 'suppression', target: 'total', cells: ['total'] });
    else if (totalCell.rounded) actions.push({ rule: 'rounding', target: 'total', base: policy.roundingBase });
    const breakdowns: BreakdownResult[] = present.map(([dimension, cells, additive, sensitivity]) => {
      const values = noisy(
        dimension,
        cells.map((c) => c.n),
        sensitivity,
      );
      const p = protectBreakdown(
        dimension,
        total,
        cells.map((c, i) => ({ key: c.key, n: values[i] ?? 0 })),
        policy,
        additive,
      );
      actions.push(...p.actions);
      return { dimension, cells: p.cells };
    });
    if (plan.byCode && plan.byCode.codes === undefined) actions.push({ rule: 'rare_categories_omitted', target: 'code' });
    let statistic: StatisticResult | undefined;
    if (asked) {
      const s = agg.statistic ?? { n: 0, mean: null, q1: null, median: null, q3: null };
      const reason = privacy ? ('privacy_mode' as const) : s.n < policy.statisticMinPatients ? ('too_few_patients' as const) : undefined;
      const sf = (x: number | null): number | null =>
        reason === undefined && x !== null ? roundSignificant(x, policy.statisticSignificantFigures) : null;
      if (reason) actions.push({ rule: 'statistic_withheld', target: 'statistic', reason });
      statistic = {
        observationCode: asked.observationCode,
        codeSystem: asked.codeSystem,
        unit: asked.unit ?? null,
        // Under a budget not even the number of persons with a value is released (it was not noised).
        patients: privacy ? { value: null, suppressed: true, rounded: false } : protectCount(s.n, policy),
        mean: sf(s.mean),
        q1: sf(s.q1),
        median: sf(s.median),
        q3: sf(s.q3),
        withheld: reason !== undefined,
        ...(reason ? { withheldReason: reason } : {}),
      };
    }
    return { total: totalCell, breakdowns, ...(statistic ? { statistic } : {}) };
  }
}
