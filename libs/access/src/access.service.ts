import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError, notFound } from '@harbour/errors';
import { AuditLog, SYSTEM_ACTOR } from '@harbour/audit';
import { AccessPolicy, actorOf, type Principal } from '@harbour/auth';
import { AccessRepository, type DecisionRow, type NewRequest, type RequestRow, type RequestTrustRow } from './access.repository.js';
import { assertTransition, overallOutcome, REQUEST_TRANSITIONS, TRUST_TRANSITIONS, type RequestStatus } from './workflow.js';
import type { ApprovalConditions } from './entities/request-trust.entity.js';
import type { DecisionKind } from './entities/decision.entity.js';
import { ProjectLifecycleRegistry, type ProjectEnded } from './project-lifecycle.js';

export interface RequestView {
  request: RequestRow;
  trusts: RequestTrustRow[];
  decisions: DecisionRow[];
}

export interface ProjectScope {
  readonly projectId: string;
  readonly partnerId: string;
  /** Trusts whose approval is in force now. */
  readonly trustIds: readonly string[];
  readonly conditions: Readonly<Record<string, ApprovalConditions>>;
  readonly requireStudyConsent: boolean;
  readonly suppressionThreshold: number;
  readonly roundingBase: number;
  readonly ehrResourceTypes: readonly string[];
  readonly imagingModalities: readonly string[];
  readonly dicomOptions: readonly string[];
}

const MAX_DURATION_DAYS = 3 * 365;

/**
 * Data access requests and projects: the partner applies, each requested trust's guardians
 * decide for their own trust, the project is active for the trusts that approved and only for
 * them, and it ends by revocation, expiry or closure. Every step is audited in the same
 * transaction as the change.
 */
@Injectable()
export class AccessService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(AccessRepository) private readonly repo: AccessRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(ProjectLifecycleRegistry) private readonly lifecycle: ProjectLifecycleRegistry,
  ) {}

  async create(p: Principal, input: Omit<NewRequest, 'partner_id' | 'created_by'> & { trustIds: string[] }): Promise<RequestView> {
    if (!p.partnerId) throw new DomainError('forbidden', 'only a partner can apply for a project');
    if (input.requested_duration_days < 1 || input.requested_duration_days > MAX_DURATION_DAYS) {
      throw new DomainError('validation_failed', `requested duration must be 1 to ${MAX_DURATION_DAYS} days`);
    }
    return this.db.run(async () => {
      await this.assertTrustsExist(input.trustIds);
      const { trustIds, ...fields } = input;
      const row = await this.repo.insert({ ...fields, partner_id: p.partnerId!, created_by: p.id });
      await this.repo.setRequestedTrusts(row.id, await this.quorums(trustIds));
      await this.audit.append({
        action: 'access_request.created',
        actor: actorOf(p),
        target: { type: 'access_request', id: row.id },
        projectId: row.id,
        payload: { trustCount: trustIds.length, commercialUse: row.commercial_use, duoCodes: row.duo_codes },
      });
      return this.view(row);
    });
  }

  async update(
    p: Principal,
    id: string,
    fields: Partial<Omit<NewRequest, 'partner_id' | 'created_by'>> & { trustIds?: string[] },
  ): Promise<RequestView> {
    return this.db.run(async () => {
      const row = await this.lockVisible(p, id);
      if (row.partner_id !== p.partnerId) throw notFound('access request');
      if (row.status === 'changes_requested') {
        assertTransition(REQUEST_TRANSITIONS, row.status, 'draft');
        await this.repo.setStatus(id, 'draft');
      } else if (row.status !== 'draft') throw new DomainError('invalid_transition', 'only a draft can be edited');
      const { trustIds, ...rest } = fields;
      await this.repo.updateDraft(id, rest);
      if (trustIds) {
        await this.assertTrustsExist(trustIds);
        await this.repo.setRequestedTrusts(id, await this.quorums(trustIds));
      }
      await this.audit.append({
        action: 'access_request.updated',
        actor: actorOf(p),
        target: { type: 'access_request', id },
        projectId: id,
        payload: {},
      });
      return this.view((await this.repo.get(id))!);
    });
  }

  /** Submit: draft → submitted → under review; every requested trust starts pending. */
  async submit(p: Principal, id: string): Promise<RequestView> {
    return this.db.run(async () => {
      const row = await this.lockVisible(p, id);
      if (row.partner_id !== p.partnerId) throw notFound('access request');
      assertTransition(REQUEST_TRANSITIONS, row.status, 'submitted');
      const trusts = await this.repo.trusts(id);
      if (trusts.length === 0) throw new DomainError('validation_failed', 'request names no trust');
      // Resubmission after changes: every trust decides again, with today's quorum.
      await this.repo.setRequestedTrusts(id, await this.quorums(trusts.map((t) => t.trust_id)));
      await this.repo.setStatus(id, 'submitted', { submitted: true });
      assertTransition(REQUEST_TRANSITIONS, 'submitted', 'under_review');
      await this.repo.setStatus(id, 'under_review');
      await this.audit.append({
        action: 'access_request.submitted',
        actor: actorOf(p),
        target: { type: 'access_request', id },
        projectId: id,
        payload: { trustCount: trusts.length },
      });
      return this.view((await this.repo.get(id))!);
    });
  }

  async list(p: Principal, statuses?: RequestStatus[]): Promise<RequestView[]> {
    const partnerIds = AccessPolicy.partnerFilter(p);
    const trustIds = AccessPolicy.trustFilter(p);
    let rows: RequestRow[];
    if (partnerIds === undefined && trustIds === undefined)
      rows = await this.repo.list({ statuses: statuses ?? REQUEST_STATUSES_VISIBLE_TO_STATION });
    else if (p.partnerId) rows = await this.repo.list({ partnerIds: [p.partnerId], ...(statuses ? { statuses } : {}) });
    else if (p.trustId) rows = await this.repo.list({ trustIds: [p.trustId], ...(statuses ? { statuses } : {}) });
    else rows = [];
    const trusts = await this.repo.trustsOf(rows.map((r) => r.id));
    return rows.map((request) => ({
      request,
      trusts: trusts.filter((t) => t.request_id === request.id && this.trustVisible(p, request, t.trust_id)),
      decisions: [],
    }));
  }

  async get(p: Principal, id: string): Promise<RequestView> {
    const row = await this.repo.get(id);
    if (!row) throw notFound('access request');
    const trusts = await this.repo.trusts(id);
    this.assertVisible(p, row, trusts);
    return this.view(row, p);
  }

  /**
   * A guardian's decision for their own trust. Approval needs the trust's quorum of distinct
   * guardians; any rejection or change request decides for the trust at once. Veto: a guardian
   * who belongs to the requesting organisation, or who created the request, cannot decide on it.
   */
  async decide(
    p: Principal,
    id: string,
    input: { decision: DecisionKind; reason: string; conditions?: ApprovalConditions; endDate?: Date },
  ): Promise<RequestView> {
    if (!p.trustId || !p.roles.includes('guardian')) throw new DomainError('forbidden', 'only a guardian can decide');
    const trustId = p.trustId;
    return this.db.run(async () => {
      const row = await this.repo.lock(id);
      if (!row) throw notFound('access request');
      const trusts = await this.repo.trusts(id);
      const mine = trusts.find((t) => t.trust_id === trustId);
      if (!mine || row.status === 'draft') throw notFound('access request');
      if (p.partnerId === row.partner_id || p.id === row.created_by) {
        throw new DomainError('forbidden', 'a guardian cannot decide on a request from their own organisation');
      }
      if (!['under_review', 'approved', 'active'].includes(row.status))
        throw new DomainError('invalid_transition', `request is ${row.status}`);
      if (mine.status !== 'pending') throw new DomainError('invalid_transition', `this trust has already decided (${mine.status})`);
      if (input.decision === 'approve') {
        if (!input.endDate) throw new DomainError('validation_failed', 'an approval needs an end date');
        if (input.endDate.getTime() <= Date.now()) throw new DomainError('validation_failed', 'the end date must be in the future');
        const latest = new Date(Date.now() + row.requested_duration_days * 86_400_000);
        if (input.endDate.getTime() > latest.getTime())
          throw new DomainError('validation_failed', 'the end date is later than the requested duration');
      }
      const earlier = (await this.repo.decisions(id, [trustId])).filter((d) => !row.submitted_at || d.created_at >= row.submitted_at);
      if (earlier.some((d) => d.guardian_id === p.id)) throw new DomainError('conflict', 'you have already decided on this request');
      const decision = await this.repo.addDecision({
        request_id: id,
        trust_id: trustId,
        guardian_id: p.id,
        decision: input.decision,
        reason: input.reason,
        conditions: input.conditions ?? {},
        end_date: input.endDate ?? null,
      });
      let trustOutcome: 'approved' | 'rejected' | 'changes_requested' | 'pending' = 'pending';
      if (input.decision === 'reject') trustOutcome = 'rejected';
      else if (input.decision === 'request_changes') trustOutcome = 'changes_requested';
      else {
        const approvals = [...earlier, decision].filter((d) => d.decision === 'approve');
        if (new Set(approvals.map((d) => d.guardian_id)).size >= mine.quorum) trustOutcome = 'approved';
        if (trustOutcome === 'approved') {
          const conditions = mergeConditions(approvals.map((d) => d.conditions));
          const endDate = new Date(Math.min(...approvals.map((d) => d.end_date!.getTime())));
          assertTransition(TRUST_TRANSITIONS, mine.status, 'approved');
          await this.repo.setTrustStatus(id, trustId, 'approved', { conditions, endDate });
        }
      }
      if (trustOutcome === 'rejected' || trustOutcome === 'changes_requested') {
        assertTransition(TRUST_TRANSITIONS, mine.status, trustOutcome);
        await this.repo.setTrustStatus(id, trustId, trustOutcome);
      }
      await this.audit.append({
        action: 'access_request.decided',
        actor: actorOf(p),
        target: { type: 'access_request', id },
        projectId: id,
        trustId,
        payload: { decision: input.decision, trustOutcome, quorum: mine.quorum },
      });
      await this.settle(p, row);
      return this.view((await this.repo.get(id))!, p);
    });
  }

  /** Move the request once trusts' states say so: active as soon as one trust approved. */
  private async settle(p: Principal | undefined, row: RequestRow): Promise<void> {
    const trusts = await this.repo.trusts(row.id);
    const statuses = trusts.map((t) => t.status);
    const actor = p ? actorOf(p) : SYSTEM_ACTOR;
    if (row.status === 'under_review' && statuses.includes('approved')) {
      await this.repo.setStatus(row.id, 'approved');
      assertTransition(REQUEST_TRANSITIONS, 'approved', 'active');
      await this.repo.setStatus(row.id, 'active', { activated: true });
      await this.audit.append({
        action: 'project.activated',
        actor,
        target: { type: 'project', id: row.id },
        projectId: row.id,
        payload: { trustIds: trusts.filter((t) => t.status === 'approved').map((t) => t.trust_id) },
      });
      return;
    }
    if (row.status === 'under_review') {
      const outcome = overallOutcome(statuses);
      if (outcome && outcome !== 'approved') {
        assertTransition(REQUEST_TRANSITIONS, row.status, outcome);
        await this.repo.setStatus(row.id, outcome);
        await this.audit.append({
          action: 'access_request.concluded',
          actor,
          target: { type: 'access_request', id: row.id },
          projectId: row.id,
          payload: { outcome },
        });
      }
    }
  }

  /**
   * Revoke: a guardian ends their trust's part at once; when no trust remains approved the whole
   * project is revoked. Listeners cancel jobs and purge caches in the same transaction.
   */
  async revoke(p: Principal, id: string, reason: string): Promise<RequestView> {
    return this.db.run(async () => {
      const row = await this.repo.lock(id);
      if (!row) throw notFound('project');
      const trusts = await this.repo.trusts(id);
      this.assertVisible(p, row, trusts);
      const targets = AccessPolicy.isStationWide(p)
        ? trusts.filter((t) => t.status === 'approved')
        : trusts.filter((t) => t.trust_id === p.trustId && t.status === 'approved');
      if (row.status !== 'active' || targets.length === 0) throw new DomainError('invalid_transition', 'nothing to revoke');
      for (const t of targets) {
        assertTransition(TRUST_TRANSITIONS, t.status, 'revoked');
        await this.repo.setTrustStatus(id, t.trust_id, 'revoked');
      }
      const remaining = trusts.filter((t) => t.status === 'approved' && !targets.includes(t));
      const projectEnded = remaining.length === 0;
      if (projectEnded) {
        assertTransition(REQUEST_TRANSITIONS, row.status, 'revoked');
        await this.repo.setStatus(id, 'revoked', { reason: `revoked: ${reason}` });
      }
      await this.audit.append({
        action: 'project.revoked',
        actor: actorOf(p),
        target: { type: 'project', id },
        projectId: id,
        ...(p.trustId ? { trustId: p.trustId } : {}),
        payload: { trustIds: targets.map((t) => t.trust_id), projectEnded },
      });
      await this.notify({ projectId: id, trustIds: targets.map((t) => t.trust_id), projectEnded, reason: 'revoked' });
      return this.view((await this.repo.get(id))!, p);
    });
  }

  /** The partner closes its project (no more use). */
  async close(p: Principal, id: string): Promise<RequestView> {
    return this.db.run(async () => {
      const row = await this.repo.lock(id);
      if (!row || row.partner_id !== p.partnerId) throw notFound('project');
      assertTransition(REQUEST_TRANSITIONS, row.status, 'closed');
      const trusts = await this.repo.trusts(id);
      await this.repo.setStatus(id, 'closed', { reason: 'closed by the partner' });
      await this.audit.append({ action: 'project.closed', actor: actorOf(p), target: { type: 'project', id }, projectId: id, payload: {} });
      await this.notify({ projectId: id, trustIds: trusts.map((t) => t.trust_id), projectEnded: true, reason: 'closed' });
      return this.view((await this.repo.get(id))!, p);
    });
  }

  /** Scheduled: end every grant past its end date (runs every minute on some worker). */
  async expireDue(now = new Date()): Promise<number> {
    const due = await this.repo.dueForExpiry(now);
    let n = 0;
    for (const g of due) {
      await this.db.run(async () => {
        const row = await this.repo.lock(g.request_id);
        const current = (await this.repo.trusts(g.request_id)).find((t) => t.trust_id === g.trust_id);
        if (!row || current?.status !== 'approved' || !current.end_date || current.end_date > now) return;
        await this.repo.setTrustStatus(g.request_id, g.trust_id, 'expired');
        const remaining = (await this.repo.trusts(g.request_id)).filter((t) => t.status === 'approved');
        const projectEnded = remaining.length === 0 && row.status === 'active';
        if (projectEnded) await this.repo.setStatus(row.id, 'expired', { reason: 'the approved end date has passed' });
        await this.audit.append({
          action: 'project.expired',
          actor: SYSTEM_ACTOR,
          target: { type: 'project', id: row.id },
          projectId: row.id,
          trustId: g.trust_id,
          payload: { projectEnded },
        });
        await this.notify({ projectId: row.id, trustIds: [g.trust_id], projectEnded, reason: 'expired' });
        n++;
      });
    }
    return n;
  }

  /**
   * The scope a partner's call on a project runs under, checked on every call (so a revocation
   * or expiry stops the very next call): the project must be active, the caller its partner
   * (and a named member when members are listed), and only trusts with a grant in force count.
   */
  async activeScope(p: Principal, projectId: string): Promise<ProjectScope> {
    const row = await this.repo.get(projectId);
    if (!row || !(p.partnerId === row.partner_id || p.kind === 'system')) throw notFound('project');
    if (row.members.length > 0 && p.kind !== 'system' && !row.members.includes(p.id)) throw notFound('project');
    if (row.status !== 'active')
      throw new DomainError('project_not_active', `project is ${row.status}${row.status_reason ? ` (${row.status_reason})` : ''}`);
    const now = Date.now();
    const trusts = (await this.repo.trusts(projectId)).filter(
      (t) => t.status === 'approved' && (!t.end_date || t.end_date.getTime() > now),
    );
    if (trusts.length === 0) throw new DomainError('project_not_active', 'no trust approval is in force');
    const conditions: Record<string, ApprovalConditions> = {};
    for (const t of trusts) conditions[t.trust_id] = t.conditions;
    const policies = await Promise.all(trusts.map((t) => this.repo.policy(t.trust_id)));
    return {
      projectId,
      partnerId: row.partner_id,
      trustIds: trusts.map((t) => t.trust_id),
      conditions,
      requireStudyConsent: trusts.some((t) => t.conditions.requireStudyConsent === true),
      // The strictest setting of any contributing trust applies to the whole result.
      suppressionThreshold: Math.max(
        10,
        ...policies.map((x) => x.suppression_threshold),
        ...trusts.map((t) => t.conditions.suppressionThreshold ?? 0),
      ),
      roundingBase: Math.max(5, ...policies.map((x) => x.rounding_base), ...trusts.map((t) => t.conditions.roundingBase ?? 0)),
      ehrResourceTypes: row.requested_data.ehrResourceTypes,
      imagingModalities: trusts.every((t) => t.conditions.noImaging) ? [] : row.requested_data.imagingModalities,
      dicomOptions: row.deidentification.dicomOptions,
    };
  }

  /** Trusts a partner may run feasibility counts over (agreement required). */
  async feasibilityScope(p: Principal): Promise<{ trustIds: string[]; suppressionThreshold: number; roundingBase: number }> {
    if (!p.partnerId || !(await this.repo.hasFeasibilityAgreement(p.partnerId))) {
      throw new DomainError('forbidden', 'no feasibility agreement');
    }
    const trustIds = await this.repo.feasibilityTrusts();
    const policies = await Promise.all(trustIds.map((t) => this.repo.policy(t)));
    return {
      trustIds,
      suppressionThreshold: Math.max(10, ...policies.map((x) => x.suppression_threshold)),
      roundingBase: Math.max(5, ...policies.map((x) => x.rounding_base)),
    };
  }

  async grantFeasibility(p: Principal, partnerId: string, validUntil: Date): Promise<void> {
    await this.db.run(async () => {
      await this.repo.grantFeasibility(partnerId, validUntil, p.id);
      await this.audit.append({
        action: 'feasibility.granted',
        actor: actorOf(p),
        target: { type: 'partner', id: partnerId },
        payload: { validUntil: validUntil.toISOString() },
      });
    });
  }

  private async notify(e: ProjectEnded): Promise<void> {
    await this.lifecycle.notify(e);
  }

  private async quorums(trustIds: readonly string[]): Promise<{ trustId: string; quorum: number }[]> {
    const unique = [...new Set(trustIds)];
    return Promise.all(unique.map(async (t) => ({ trustId: t, quorum: (await this.repo.policy(t)).quorum })));
  }

  private async assertTrustsExist(trustIds: readonly string[]): Promise<void> {
    if (trustIds.length === 0) throw new DomainError('validation_failed', 'name at least one trust');
    const rows = await this.db.query<{ id: string }>(`SELECT id FROM identity.trust WHERE id = ANY($1::uuid[])`, [trustIds]);
    if (rows.length !== new Set(trustIds).size) throw new DomainError('validation_failed', 'unknown trust');
  }

  private async lockVisible(p: Principal, id: string): Promise<RequestRow> {
    const row = await this.repo.lock(id);
    if (!row) throw notFound('access request');
    this.assertVisible(p, row, await this.repo.trusts(id));
    return row;
  }

  private trustVisible(p: Principal, _row: RequestRow, trustId: string): boolean {
    return AccessPolicy.isStationWide(p) || p.partnerId !== undefined || p.trustId === trustId;
  }

  private assertVisible(p: Principal, row: RequestRow, trusts: readonly RequestTrustRow[]): void {
    if (row.status === 'draft' && row.partner_id !== p.partnerId) throw notFound('access request');
    AccessPolicy.assertProject(p, { partnerId: row.partner_id, trustIds: trusts.map((t) => t.trust_id) }, 'access request');
  }

  private async view(request: RequestRow, p?: Principal): Promise<RequestView> {
    const trusts = await this.repo.trusts(request.id);
    const decisions = await this.repo.decisions(request.id);
    return {
      request,
      trusts: p ? trusts.filter((t) => this.trustVisible(p, request, t.trust_id)) : trusts,
      // Guardians see the earlier decisions of other trusts too (the issue asks for it); names of
      // guardians are ids, never personal data.
      decisions,
    };
  }
}

const REQUEST_STATUSES_VISIBLE_TO_STATION: RequestStatus[] = [
  'submitted',
  'under_review',
  'approved',
  'rejected',
  'changes_requested',
  'active',
  'expired',
  'revoked',
  'closed',
];

/** Several approving guardians' conditions combine to the strictest of each. */
export function mergeConditions(all: readonly ApprovalConditions[]): ApprovalConditions {
  const out: ApprovalConditions = {};
  for (const c of all) {
    if (c.suppressionThreshold !== undefined) out.suppressionThreshold = Math.max(out.suppressionThreshold ?? 0, c.suppressionThreshold);
    if (c.roundingBase !== undefined) out.roundingBase = Math.max(out.roundingBase ?? 0, c.roundingBase);
    if (c.noImaging) out.noImaging = true;
    if (c.requireStudyConsent) out.requireStudyConsent = true;
    if (c.resourceTypes)
      out.resourceTypes = out.resourceTypes ? out.resourceTypes.filter((t) => c.resourceTypes!.includes(t)) : [...c.resourceTypes];
    if (c.note) out.note = out.note ? `${out.note}; ${c.note}` : c.note;
  }
  return out;
}
