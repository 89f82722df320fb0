import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError } from '@harbour/errors';
import { AuditLog } from '@harbour/audit';
import { MeteringService } from '@harbour/ledger';
import { actorOf, type Principal } from '@harbour/auth';
import { OptOutRepository } from '@harbour/consent';
import { QueryService, type AggregateOptions, type AggregateResult, type FeasibilityResult } from '@harbour/query';
import { AccessService } from './access.service.js';

export interface AggregateRequest {
  cohort: unknown;
  breakdowns?: AggregateOptions['breakdowns'];
  codeBreakdown?: AggregateOptions['codeBreakdown'];
  statistic?: AggregateOptions['statistic'];
  epsilon?: number;
}

type Refusal = 'disclosure_refused' | 'privacy_budget_exhausted' | 'rate_limited' | 'invalid_cohort';
const REFUSALS: readonly string[] = ['disclosure_refused', 'privacy_budget_exhausted', 'rate_limited', 'invalid_cohort'];

/**
 * Partners' questions to the research store. Every call re-reads the project's scope (so a
 * revocation, expiry or opt-out applies to the very next call), runs the query under the
 * strictest disclosure-control settings of the contributing trusts and the approval conditions,
 * and audits what was released (cohort hash, released figures, SDC actions, consent list
 * versions) in the same transaction as the release record. Refusals are audited too. A project
 * query is metered to the ledger in that same transaction when the project has an agreement.
 */
@Injectable()
export class ProjectQueryService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(QueryService) private readonly queries: QueryService,
    @Inject(OptOutRepository) private readonly optOuts: OptOutRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(MeteringService) private readonly metering: MeteringService,
  ) {}

  async aggregate(p: Principal, projectId: string, req: AggregateRequest): Promise<AggregateResult> {
    const scope = await this.access.activeScope(p, projectId);
    const asOf = new Date();
    return this.audited(p, 'aggregate', projectId, req.cohort, async () => {
      const result = await this.queries.aggregate(
        { trustIds: scope.trustIds, projectId, requireStudyConsent: scope.requireStudyConsent, asOf },
        req.cohort,
        {
          partnerId: scope.partnerId,
          sdc: { threshold: scope.suppressionThreshold, roundingBase: scope.roundingBase },
          ...(req.breakdowns ? { breakdowns: req.breakdowns } : {}),
          ...(req.codeBreakdown ? { codeBreakdown: req.codeBreakdown } : {}),
          ...(req.statistic ? { statistic: req.statistic } : {}),
          ...(req.epsilon !== undefined ? { privacy: { epsilon: req.epsilon } } : {}),
        },
      );
      return {
        result,
        trustIds: scope.trustIds,
        cells: result.breakdowns.reduce((n, b) => n + b.cells.length, 0),
        total: result.total.value,
      };
    });
  }

  /** Counts before approval, for partners with a feasibility agreement, over trusts that allow it. */
  async feasibility(p: Principal, cohort: unknown): Promise<FeasibilityResult> {
    const scope = await this.access.feasibilityScope(p);
    return this.audited(p, 'feasibility', null, cohort, async () => {
      const result = await this.queries.feasibility({ trustIds: scope.trustIds, asOf: new Date() }, cohort, {
        partnerId: p.partnerId!,
        sdc: { threshold: scope.suppressionThreshold, roundingBase: scope.roundingBase },
      });
      return { result, trustIds: scope.trustIds, cells: 1, total: result.count.value };
    });
  }

  /**
   * Bill an executed project query once (key `query.executed:<releaseId>`), in the transaction of
   * the release and its audit entry, when the project has a commercial agreement in effect. Each
   * trust's contribution is the number of persons of that trust the query counted.
   */
  private async meter(projectId: string, releaseId: string, auditEntryId: number): Promise<void> {
    const occurredAt = new Date();
    await this.metering.recordIfBillable({
      idempotencyKey: `query.executed:${releaseId}`,
      projectId,
      kind: 'query.executed',
      quantity: 1,
      occurredAt,
      auditEntryId,
      contributions: await this.queries.releaseContributions(releaseId),
    });
  }

  private async audited<R extends FeasibilityResult | AggregateResult>(
    p: Principal,
    kind: 'feasibility' | 'aggregate',
    projectId: string | null,
    cohort: unknown,
    run: () => Promise<{ result: R; trustIds: readonly string[]; cells: number; total: number | null }>,
  ): Promise<R> {
    try {
      return await this.db.run(async () => {
        const { result, trustIds, cells, total } = await run();
        const entry = await this.audit.append({
          action: 'query.executed',
          actor: actorOf(p),
          target: { type: 'query_release', id: result.releaseId },
          ...(projectId ? { projectId } : {}),
          payload: {
            kind,
            releaseId: result.releaseId,
            cohortHash: result.cohortHash,
            trustIds,
            sdcActions: result.actions.map((a) => `${a.rule}:${a.target}`),
            released: { total, cells },
            epsilonCharged: result.privacy?.epsilonCharged ?? null,
            consentListVersions: Object.entries(await this.optOuts.currentVersions()).map(([k, v]) => `${k}:${v}`),
          },
        });
        if (projectId) await this.meter(projectId, result.releaseId, entry.id);
        return result;
      });
    } catch (err) {
      if (err instanceof DomainError && REFUSALS.includes(err.code)) {
        let cohortHash: string | null = null;
        try {
          cohortHash = this.queries.validateCohort(cohort, new Date()).cohortHash;
        } catch {
          cohortHash = null;
        }
        await this.audit.append({
          action: 'query.refused',
          actor: actorOf(p),
          ...(projectId ? { projectId } : {}),
          payload: { kind, reason: err.code as Refusal, cohortHash },
        });
      }
      throw err;
    }
  }
}
