import { Inject, Injectable } from '@nestjs/common';
import { DomainError, forbidden, notFound } from '@harbour/errors';
import { Db } from '@harbour/persistence';
import { AuditLog, CHECKPOINT_SIGNER, type CheckpointSigner } from '@harbour/audit';
import { AccessPolicy, actorOf, type Principal } from '@harbour/auth';
import {
  AgreementService,
  LedgerRepository,
  MeteringService,
  PeriodService,
  ReconciliationService,
  StatementRepository,
  StatementService,
  assertPeriodId,
  periodBounds,
  renderStatementCsv,
  renderStatementPdf,
  type AgreementTerms,
  type ClosedPeriod,
  type CommercialAgreement,
  type EventsDigest,
  type PeriodRow,
  type ReconciliationReport,
  type Statement,
  type StatementParty,
} from '@harbour/ledger';
import { ComplianceRepository } from './compliance.repository.js';
import { stationStatementSigner } from './signers.js';

export type StatementFormat = 'json' | 'csv' | 'pdf' | 'jws';

/** A statement as a file or a JSON body. */
export type StatementDocument =
  | {
      readonly format: 'json';
      readonly body: { readonly statement: Statement; readonly events: { readonly rows: number; readonly sha256: string } };
    }
  | { readonly format: 'csv' | 'pdf' | 'jws'; readonly contentType: string; readonly filename: string; readonly data: Buffer };

/** One row of the statements list (the console's revenue page): a party's totals in a period. */
export interface StatementSummary {
  readonly id: string;
  readonly party: 'partner' | 'trust';
  readonly partyId: string;
  readonly partyName: string | null;
  readonly trustId?: string;
  readonly trustName?: string | null;
  readonly partnerId?: string;
  readonly partnerName?: string | null;
  readonly period: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  /** `open` (a draft) or `closed`. */
  readonly status: string;
  readonly currency: string;
  readonly events: number;
  readonly grossPence: number;
  /** Partner: charged; trust: share earned. */
  readonly amountPence: number;
}

export type AgreementRequest = Omit<AgreementTerms, 'projectId' | 'partnerId' | 'createdBy'>;

/**
 * The ledger's use cases over HTTP, scoped to the caller: operators set agreements and close
 * periods; partners read their own statements, guardians their trust's, auditors and operators
 * any; reconciliation is for the station-wide roles. Agreement changes, closes, statements issued
 * and reconciliations are audited. Statements are signed with the station key.
 */
@Injectable()
export class LedgerGatewayService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(ComplianceRepository) private readonly projects: ComplianceRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(CHECKPOINT_SIGNER) private readonly keys: CheckpointSigner,
    @Inject(AgreementService) private readonly agreements: AgreementService,
    @Inject(MeteringService) private readonly metering: MeteringService,
    @Inject(PeriodService) private readonly periods: PeriodService,
    @Inject(StatementService) private readonly statements: StatementService,
    @Inject(StatementRepository) private readonly statementRows: StatementRepository,
    @Inject(ReconciliationService) private readonly reconciliation: ReconciliationService,
    @Inject(LedgerRepository) private readonly ledger: LedgerRepository,
  ) {}

  /** `PUT /projects/:id/agreement`: new terms for the project (the next version). Trusts default to the approving ones. */
  async setAgreement(p: Principal, projectId: string, terms: AgreementRequest): Promise<CommercialAgreement> {
    return this.db.run(async () => {
      const project = await this.projects.projectParties(projectId);
      if (!project) throw notFound('project');
      const approved = project.trusts.filter((t) => t.status === 'approved').map((t) => ({ trustId: t.trustId }));
      const trusts = terms.trusts ?? (approved.length ? approved : project.trusts.map((t) => ({ trustId: t.trustId })));
      const known = new Set(project.trusts.map((t) => t.trustId));
      const stranger = trusts.find((t) => !known.has(t.trustId));
      if (stranger) throw new DomainError('invalid_request', 'every trust of an agreement must be a trust of the project');
      const a = await this.agreements.setAgreement({ ...terms, trusts, projectId, partnerId: project.partnerId, createdBy: p.id });
      await this.audit.append({
        action: 'ledger.agreement_set',
        actor: actorOf(p),
        target: { type: 'project', id: projectId },
        projectId,
        payload: {
          version: a.version,
          partnerId: a.partnerId,
          currency: a.currency,
          trustShareBps: a.trustShareBps,
          splitMethod: a.splitMethod,
          trustCount: a.trusts.length,
        },
      });
      return a;
    });
  }

  /** The agreement in effect: the project's partner, guardians of its trusts, auditors and operators. */
  async getAgreement(p: Principal, projectId: string): Promise<CommercialAgreement> {
    const project = await this.projects.projectParties(projectId);
    if (!project) throw notFound('project');
    AccessPolicy.assertProject(p, { partnerId: project.partnerId, trustIds: project.trusts.map((t) => t.trustId) });
    return this.agreements.getAgreement(projectId);
  }

  async listPeriods(): Promise<PeriodRow[]> {
    return this.periods.listPeriods();
  }

  /**
   * Statement totals per party and period that the caller may see: partners their own, guardians
   * their trust's, station-wide roles every trust's (or every partner's with `party=partner`).
   */
  async listStatements(
    p: Principal,
    q: { party?: 'partner' | 'trust'; id?: string; period?: string },
  ): Promise<{ items: StatementSummary[] }> {
    const stationWide = AccessPolicy.isStationWide(p);
    const party = q.party ?? (stationWide ? 'trust' : p.partnerId ? 'partner' : 'trust');
    const own = party === 'partner' ? p.partnerId : p.trustId;
    if (!stationWide && (!own || (q.id !== undefined && q.id !== own))) return { items: [] };
    const owner = stationWide ? q.id : own;
    const periodId = q.period !== undefined ? this.period(q.period) : undefined;
    const accountKind = party === 'partner' ? 'partner_receivable' : 'trust_payable';
    const items: StatementSummary[] = [];
    for (const period of await this.periods.listPeriods()) {
      if (periodId !== undefined && period.id !== periodId) continue;
      const rows = await this.statementRows.summary(period.id, owner ? { accountKind, ownerId: owner } : undefined);
      const totals = new Map<string, { ownerId: string; currency: string; events: number; grossPence: number; amountPence: number }>();
      for (const r of rows) {
        if (r.accountKind !== accountKind) continue;
        const k = `${r.ownerId}:${r.currency}`;
        const t = totals.get(k) ?? { ownerId: r.ownerId, currency: r.currency, events: 0, grossPence: 0, amountPence: 0 };
        t.events += r.events;
        t.grossPence += r.grossPence;
        t.amountPence += party === 'partner' ? r.debitPence - r.creditPence : r.creditPence - r.debitPence;
        totals.set(k, t);
      }
      const ids = [...new Set([...totals.values()].map((t) => t.ownerId))];
      const names = await this.statementRows.partyNames(party === 'partner' ? ids : [], party === 'trust' ? ids : []);
      const b = periodBounds(period.id);
      for (const t of totals.values()) {
        const name = names.get(t.ownerId) ?? null;
        items.push({
          id: `${party}-${t.ownerId}-${period.id}${t.currency === 'GBP' ? '' : `-${t.currency}`}`,
          party,
          partyId: t.ownerId,
          partyName: name,
          ...(party === 'trust' ? { trustId: t.ownerId, trustName: name } : { partnerId: t.ownerId, partnerName: name }),
          period: period.id,
          periodStart: b.start.toISOString(),
          periodEnd: new Date(b.end.getTime() - 1).toISOString(),
          status: period.status,
          currency: t.currency,
          events: t.events,
          grossPence: t.grossPence,
          amountPence: t.amountPence,
        });
      }
    }
    return { items };
  }

  /** One statement as JSON, CSV, PDF or a JWS signed by the station key. The issue is audited. */
  async statement(
    p: Principal,
    q: { party: 'partner' | 'trust'; id: string; period: string; format: StatementFormat },
  ): Promise<StatementDocument> {
    const party: StatementParty = q.party === 'partner' ? { kind: 'partner', partnerId: q.id } : { kind: 'trust', trustId: q.id };
    const visible =
      q.party === 'partner'
        ? AccessPolicy.canSeePartner(p, q.id)
        : AccessPolicy.canSeeTrust(p, q.id) && (AccessPolicy.isStationWide(p) || p.roles.includes('guardian'));
    if (!visible) throw notFound('statement');
    const periodId = this.period(q.period);
    const base = `${q.party}-${q.id}-${periodId}`;
    let doc: StatementDocument;
    switch (q.format) {
      case 'json': {
        const { statement, events } = await this.unsigned(party, periodId);
        doc = { format: 'json', body: { statement, events: { rows: events.rows, sha256: events.sha256 } } };
        break;
      }
      case 'csv':
        doc = {
          format: 'csv',
          contentType: 'text/csv; charset=utf-8',
          filename: `${base}.csv`,
          data: Buffer.from(renderStatementCsv(await this.statements.getStatement(party, periodId))),
        };
        break;
      case 'pdf': {
        const { statement, events } = await this.unsigned(party, periodId);
        doc = { format: 'pdf', contentType: 'application/pdf', filename: `${base}.pdf`, data: renderStatementPdf(statement, events) };
        break;
      }
      case 'jws': {
        const { jws } = await this.statements.signedStatement(party, periodId, stationStatementSigner(this.keys));
        doc = { format: 'jws', contentType: 'application/jose', filename: `${base}.jws`, data: Buffer.from(jws) };
        break;
      }
    }
    await this.audit.append({
      action: 'ledger.statement_issued',
      actor: actorOf(p),
      target: { type: q.party, id: q.id },
      ...(q.party === 'trust' ? { trustId: q.id } : {}),
      payload: { party: q.party, periodId, format: q.format },
    });
    return doc;
  }

  /**
   * Close a period (operator): first meter each project's fixed fee for the period, once, under
   * an audit entry of its own; then close (postings dated in it are refused from then on).
   */
  async closePeriod(p: Principal, period: string): Promise<ClosedPeriod & { periodFees: number }> {
    const periodId = this.period(period);
    const { start, end } = periodBounds(periodId);
    if (end > new Date()) throw new DomainError('invalid_transition', `period ${periodId} has not ended yet`);
    const existing = await this.periods.getPeriod(periodId);
    if (existing?.status === 'closed') throw new DomainError('period_closed', `period ${periodId} is already closed`);
    let periodFees = 0;
    for (const projectId of await this.projects.projectsNotEndedBefore(start)) {
      const agreement = await this.ledger.agreementAt(projectId, new Date(end.getTime() - 1));
      if (!agreement || agreement.fixedFeePerPeriodPence === 0) continue;
      if (await this.ledger.findEventByKey(`fee.period:${projectId}:${periodId}`)) continue;
      await this.db.run(async () => {
        const entry = await this.audit.append({
          action: 'ledger.period_fee_charged',
          actor: actorOf(p),
          target: { type: 'project', id: projectId },
          projectId,
          payload: { periodId, amountPence: agreement.fixedFeePerPeriodPence, outcome: 'recorded' },
        });
        await this.metering.recordPeriodFee({ projectId, periodId, auditEntryId: entry.id });
      });
      periodFees++;
    }
    // Audit first, then close, in one transaction: the same lock order as every metered action
    // (audit chain head, then the period's advisory lock), so a close and a posting never deadlock.
    return this.db.run(async () => {
      await this.audit.append({
        action: 'ledger.period_closed',
        actor: actorOf(p),
        target: { type: 'ledger_period', id: periodId },
        payload: { periodId, periodFees },
      });
      const closed = await this.periods.closePeriod(periodId, { closedBy: p.id });
      return { ...closed, periodFees };
    });
  }

  /** Reconcile a period (auditors and operators). */
  async reconcile(p: Principal, period: string): Promise<ReconciliationReport> {
    if (!AccessPolicy.isStationWide(p)) throw forbidden('reconciliation is for auditors and operators');
    const report = await this.reconciliation.reconcile(this.period(period));
    await this.audit.append({
      action: 'ledger.reconciled',
      actor: actorOf(p),
      target: { type: 'ledger_period', id: report.periodId },
      payload: { periodId: report.periodId, ok: report.ok, differences: report.checks.reduce((n, c) => n + c.differences, 0) },
    });
    return report;
  }

  private async unsigned(party: StatementParty, periodId: string): Promise<{ statement: Statement; events: EventsDigest }> {
    const statement = await this.statements.getStatement(party, periodId);
    return { statement, events: await this.statements.writeEventsCsv(party, periodId, () => undefined) };
  }

  private period(s: string): string {
    try {
      return assertPeriodId(s);
    } catch {
      throw new DomainError('validation_failed', 'period must be YYYY-MM', {
        fields: [{ field: 'period', messages: ['must be YYYY-MM'] }],
      });
    }
  }
}
