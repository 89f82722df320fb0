import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@harbour/errors';
import {
  AuditLog,
  AuditTrailService,
  CHECKPOINT_SIGNER,
  verifyAuditTrail,
  writeAuditExport,
  type AuditActor,
  type AuditRecord,
  type CheckpointSigner,
} from '@harbour/audit';
import { AgreementService, PeriodService, ReconciliationService, StatementService, periodBounds } from '@harbour/ledger';
import { ComplianceRepository, type DecisionRow, type ProjectRow, type ProjectTrustRow } from './compliance.repository.js';
import { listKey, listsInForceAt, recordedListVersions } from './opt-out-check.js';
import { buildManifest, PACK_FILES, readPackDir, sha256Hex, MANIFEST_JWS_TYPE, type PackFiles, type PackManifest } from './pack.js';
import { renderReportPdf, renderReportTables, REPORT_FILES } from './report-render.js';
import {
  REPORT_FORMAT,
  type AuditEvent,
  type ComplianceReport,
  type GuardianDecision,
  type OptOutCompliance,
  type ProcessingRecord,
  type ReleaseOptOutCheck,
  type RevenuePeriod,
  type SdcActionRow,
} from './report.types.js';
import { stationStatementSigner } from './signers.js';

/** Longest period one pack covers: a year and a day (an annual DSPT submission). */
const MAX_RANGE_MS = 367 * 86_400_000;

const DATA_ACCESS = (a: string): boolean =>
  a.startsWith('query.') ||
  a.startsWith('compute.job_') ||
  a === 'imaging.studies_searched' ||
  a === 'imaging.study_retrieved' ||
  a === 'airlock.output_released' ||
  a === 'airlock.output_downloaded';
const GOVERNANCE = (a: string): boolean =>
  a.startsWith('access_request.') ||
  a.startsWith('project.') ||
  a.startsWith('feasibility.') ||
  a.startsWith('optout.') ||
  a.startsWith('user.') ||
  a.startsWith('client.') ||
  a === 'key.rotated' ||
  a === 'imaging.quarantine_decided' ||
  a === 'airlock.output_reviewed' ||
  a === 'airlock.policy_set' ||
  a === 'compute.project_jobs_cancelled' ||
  a === 'ledger.agreement_set' ||
  a === 'ledger.period_closed';
const AIRLOCK = (a: string): boolean => a.startsWith('airlock.');

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toEvent(e: AuditRecord): AuditEvent {
  return {
    seq: e.seq,
    at: e.at,
    action: e.action,
    outcome: e.outcome,
    actorType: e.actor.type,
    actorId: e.actor.id,
    actorRole: e.actor.role,
    orgId: e.actor.orgId,
    projectId: e.projectId,
    trustId: e.trustId,
    target: e.target ? `${e.target.type}:${e.target.id}` : null,
    details: e.payload,
  };
}

const RETENTION =
  'De-identified research data is accessible to the recipient only until the end date; only disclosure-controlled aggregates ' +
  'and airlock-approved outputs leave the station. Audit and ledger records are append-only and kept for the life of the station.';

export interface BuiltPack {
  readonly files: PackFiles;
  readonly manifest: PackManifest;
  readonly report: ComplianceReport;
}

/**
 * Builds the auditors' compliance pack for a period: records of processing per project, every
 * data access and release, governance decisions, a recomputed opt-out check of every released
 * result, the audit trail of the period (verified, with its signed checkpoints), privacy budget
 * use, disclosure-control and airlock actions, and the ledger's statements and reconciliation.
 * Machine-readable (JSON, CSV) and human-readable (PDF) in one folder whose manifest of SHA-256
 * digests is signed by the station key, verifiable offline with `harbour audit verify`.
 */
@Injectable()
export class ComplianceReportService {
  constructor(
    @Inject(ComplianceRepository) private readonly repo: ComplianceRepository,
    @Inject(AuditTrailService) private readonly trail: AuditTrailService,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(CHECKPOINT_SIGNER) private readonly signer: CheckpointSigner,
    @Inject(AgreementService) private readonly agreements: AgreementService,
    @Inject(PeriodService) private readonly periods: PeriodService,
    @Inject(StatementService) private readonly statements: StatementService,
    @Inject(ReconciliationService) private readonly reconciliation: ReconciliationService,
  ) {}

  async buildPack(range: { from: Date; to: Date }, actor: AuditActor): Promise<BuiltPack> {
    const { from, to } = range;
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
      throw new DomainError('invalid_request', 'from must be a time before to');
    }
    if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw new DomainError('invalid_request', 'a pack covers at most a year');
    const generatedAt = new Date();
    const work = mkdtempSync(join(tmpdir(), 'harbour-pack-'));
    try {
      // Sign the head first, so a pack reaching the present ends on a checkpoint.
      await this.trail.createCheckpoint();
      const exported = await this.trail.exportRange({ from, to }, actor);
      const window = await verifyAuditTrail({ entries: exported.entries, checkpoints: exported.checkpoints, jwks: exported.jwks });
      const live = await this.trail.verifyStore();
      const entries = exported.entries;

      const projects = await this.repo.projectsActiveIn(from, to);
      const projectIds = projects.map((p) => p.id);
      const trusts = await this.repo.projectTrusts(projectIds);
      const decisions = await this.repo.decisionsOf(projectIds);
      const processingRecords = await Promise.all(projects.map((p) => this.processingRecord(p, trusts, decisions, to)));
      const guardianDecisions: GuardianDecision[] = (await this.repo.decisionsIn(from, to)).map((d) => ({
        decisionId: d.id,
        at: d.created_at.toISOString(),
        projectId: d.request_id,
        trustId: d.trust_id,
        guardianId: d.guardian_id,
        decision: d.decision,
        reason: d.reason,
        endDate: iso(d.end_date),
        conditions: d.conditions,
      }));

      const optOutCompliance = await this.optOutCheck(from, to, entries);
      const privacyBudgets = (await this.repo.privacyBudgets(from, to)).map((b) => ({
        projectId: b.project_id,
        epsilonTotal: b.total_milli / 1000,
        epsilonSpent: b.spent_milli / 1000,
        epsilonRemaining: Math.max(0, b.total_milli - b.spent_milli) / 1000,
        epsilonChargedInPeriod: b.charged_milli_in_period / 1000,
        chargesInPeriod: b.charges_in_period,
      }));
      const sdcActions: SdcActionRow[] = entries
        .filter((e) => e.action === 'query.executed')
        .flatMap((e) => {
          const actions = Array.isArray(e.payload['sdcActions']) ? (e.payload['sdcActions'] as unknown[]) : [];
          return actions
            .filter((a): a is string => typeof a === 'string')
            .map((a) => {
              const at = a.indexOf(':');
              return {
                seq: e.seq,
                at: e.at,
                projectId: e.projectId,
                releaseId: typeof e.payload['releaseId'] === 'string' ? e.payload['releaseId'] : null,
                rule: at < 0 ? a : a.slice(0, at),
                target: at < 0 ? '' : a.slice(at + 1),
              };
            });
        });

      const files: PackFiles = new Map();
      const revenue = await this.revenue(from, to, work, files);

      const pinned = exported.checkpoints.reduce<number | null>((m, c) => (m === null || c.treeSize > m ? c.treeSize : m), null);
      const report: ComplianceReport = {
        format: REPORT_FORMAT,
        from: from.toISOString(),
        to: to.toISOString(),
        generatedAt: generatedAt.toISOString(),
        generatedBy: { type: actor.type, id: actor.id, role: actor.role },
        summary: {
          projects: processingRecords.length,
          dataAccessEvents: entries.filter((e) => DATA_ACCESS(e.action)).length,
          governanceEvents: entries.filter((e) => GOVERNANCE(e.action)).length + guardianDecisions.length,
          releasesChecked: optOutCompliance.releasesChecked,
          optOutViolations: optOutCompliance.violations,
          auditTrailOk: window.ok && live.ok,
          reconciliationOk: revenue.every((r) => r.reconciliation.ok),
        },
        processingRecords,
        dataAccess: entries.filter((e) => DATA_ACCESS(e.action)).map(toEvent),
        governance: { auditEvents: entries.filter((e) => GOVERNANCE(e.action)).map(toEvent), guardianDecisions },
        optOutCompliance,
        auditTrail: { window, live, checkpoints: exported.checkpoints, pinnedThroughSeq: pinned },
        privacyBudgets,
        sdcActions,
        airlockDecisions: entries.filter((e) => AIRLOCK(e.action)).map(toEvent),
        revenue,
      };

      // The audit export, byte for byte as `harbour audit export` writes it, at the pack's root.
      const auditDir = join(work, 'audit');
      writeAuditExport(auditDir, exported);
      for (const [path, data] of readPackDir(auditDir)) files.set(path, data);
      for (const [path, data] of renderReportTables(report)) files.set(path, data);
      files.set(REPORT_FILES.pdf, renderReportPdf(report));

      const manifest = buildManifest(files, { from: report.from, to: report.to, generatedAt: report.generatedAt });
      // The JWS payload is the exact bytes of manifest.json (compact JSON, as signCompact encodes it).
      const manifestBytes = Buffer.from(JSON.stringify(manifest), 'utf8');
      const { jws } = await this.signer.signCompact(manifest as unknown as Record<string, unknown>, MANIFEST_JWS_TYPE);
      files.set(PACK_FILES.manifest, manifestBytes);
      files.set(PACK_FILES.signature, Buffer.from(`${jws}\n`, 'utf8'));

      const seqs = entries.map((e) => e.seq);
      await this.audit.append({
        action: 'compliance.report_generated',
        actor,
        payload: {
          from: report.from,
          to: report.to,
          fromSeq: seqs[0] ?? 0,
          toSeq: seqs[seqs.length - 1] ?? 0,
          files: files.size,
          manifestSha256: sha256Hex(manifestBytes),
          projects: processingRecords.length,
          releasesChecked: optOutCompliance.releasesChecked,
          optOutViolations: optOutCompliance.violations,
        },
      });
      return { files, manifest, report };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  private async processingRecord(
    p: ProjectRow,
    trusts: readonly ProjectTrustRow[],
    decisions: readonly DecisionRow[],
    at: Date,
  ): Promise<ProcessingRecord> {
    const own = trusts.filter((t) => t.request_id === p.id);
    const ends = own.filter((t) => t.status === 'approved' || t.end_date).map((t) => t.end_date?.getTime() ?? 0);
    let agreement: ProcessingRecord['agreement'] = null;
    try {
      const a = await this.agreements.getAgreement(p.id, new Date(at.getTime() - 1));
      agreement = {
        version: a.version,
        currency: a.currency,
        trustShareBps: a.trustShareBps,
        splitMethod: a.splitMethod,
        effectiveFrom: a.effectiveFrom.toISOString(),
      };
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'not_found')) throw err;
    }
    const latestEnd = ends.length ? Math.max(...ends) : 0;
    return {
      projectId: p.id,
      title: p.title,
      status: p.status,
      statusReason: p.status_reason,
      purpose: p.purpose,
      legalBasis: { article6: p.legal_basis_art6, article9: p.legal_basis_art9 },
      commercialUse: p.commercial_use,
      duoCodes: p.duo_codes,
      recipients: { partnerId: p.partner_id, partnerName: p.partner_name, members: p.members },
      dataClasses: {
        ehrResourceTypes: p.requested_data.ehrResourceTypes ?? [],
        imagingModalities: p.requested_data.imagingModalities ?? [],
      },
      deidentification: { ehrProfile: p.deidentification.ehrProfile ?? null, dicomOptions: p.deidentification.dicomOptions ?? [] },
      trusts: own.map((t) => ({
        trustId: t.trust_id,
        name: t.trust_name,
        status: t.status,
        conditions: t.conditions,
        endDate: iso(t.end_date),
        decidedAt: iso(t.decided_at),
      })),
      approvals: decisions
        .filter((d) => d.request_id === p.id)
        .map((d) => ({
          trustId: d.trust_id,
          guardianId: d.guardian_id,
          decision: d.decision,
          reason: d.reason,
          at: d.created_at.toISOString(),
          endDate: iso(d.end_date),
        })),
      submittedAt: iso(p.submitted_at),
      activatedAt: iso(p.activated_at),
      endDate: latestEnd > 0 ? new Date(latestEnd).toISOString() : null,
      retention: RETENTION,
      agreement,
    };
  }

  /**
   * Recompute, from the data, that no result released in the period counted a person who was
   * opted out at the time: for each release, the persons it counted (recorded by the statement
   * that computed it) against the opt-out list versions in force at its time and against the
   * versions its audit entry names. Lists are matched through their immutable per-version history.
   */
  private async optOutCheck(from: Date, to: Date, entries: readonly AuditRecord[]): Promise<OptOutCompliance> {
    const releases = await this.repo.releasesIn(from, to);
    const lists = await this.repo.optOutLists();
    const byKey = new Map(lists.map((l) => [listKey(l.trust_id, l.kind, l.version), l.id]));
    const entryOf = new Map<string, AuditRecord>();
    for (const e of entries) {
      const id = e.payload['releaseId'];
      if (e.action === 'query.executed' && typeof id === 'string') entryOf.set(id, e);
    }
    const used: { releaseId: string; listId: string; basis: 'time' | 'recorded' }[] = [];
    const plan = releases.map((r) => {
      const atTime = listsInForceAt(lists, r.created_at);
      for (const l of atTime) used.push({ releaseId: r.id, listId: l.id, basis: 'time' });
      const entry = entryOf.get(r.id);
      const recorded = entry ? recordedListVersions(entry.payload) : null;
      const unknown: string[] = [];
      for (const k of recorded ?? []) {
        const id = byKey.get(k);
        if (id) used.push({ releaseId: r.id, listId: id, basis: 'recorded' });
        else unknown.push(k);
      }
      return { r, atTime: atTime.map((l) => listKey(l.trust_id, l.kind, l.version)), entry, recorded, unknown };
    });
    const counts = new Map(
      (
        await this.repo.optOutCounts(
          releases.map((r) => r.id),
          used,
        )
      ).map((c) => [c.release_id, c]),
    );
    const queryChecks: ReleaseOptOutCheck[] = plan.map(({ r, atTime, entry, recorded, unknown }) => {
      const c = counts.get(r.id);
      const membersRecorded = (c?.member_rows ?? 0) > 0;
      const optedOutAtTime = c?.opted_out_at_time ?? 0;
      const optedOutRecorded = c?.opted_out_recorded ?? 0;
      const notes: string[] = [];
      if (!membersRecorded) notes.push('no member record (release made before member recording)');
      else if ((c?.members ?? 0) !== r.person_count) notes.push(`members ${c?.members ?? 0} differ from the cohort size ${r.person_count}`);
      if (!entry) notes.push('no query.executed entry in the period');
      if (unknown.length) notes.push(`unknown list versions ${unknown.join(';')}`);
      const status = !membersRecorded ? 'unverifiable' : optedOutAtTime > 0 || optedOutRecorded > 0 ? 'violation' : 'ok';
      return {
        releaseId: r.id,
        at: r.created_at.toISOString(),
        kind: r.kind,
        projectId: r.project_id,
        partnerId: r.partner_id,
        auditSeq: entry?.seq ?? null,
        listVersionsAtTime: atTime,
        listVersionsRecorded: recorded,
        personsCounted: c?.members ?? 0,
        optedOutAtTime,
        optedOutRecorded,
        status,
        note: notes.length ? notes.join('; ') : null,
      };
    });
    const checks = [...queryChecks, ...(await this.computeOptOutChecks(from, to, entries, lists, byKey))];
    const violations = checks.filter((c) => c.status === 'violation').length;
    const unverifiable = checks.filter((c) => c.status === 'unverifiable').length;
    return {
      ok: violations === 0 && unverifiable === 0,
      releasesChecked: checks.length - unverifiable,
      violations,
      unverifiable,
      method:
        'Each released result records, in the statement that computed it, the persons it counted. Each is matched by NHS-number ' +
        'blind index against the immutable entries of every opt-out list version in force at the result time, and of the versions ' +
        'named in its query.executed audit entry. A count above zero under either is a violation. Each released compute output ' +
        '(kind compute_output) is checked the same way with the persons its job was served, recorded per trust at the end of the ' +
        'run, against the list versions in force when the run started and those its provenance names.',
      releases: checks,
    };
  }

  /**
   * The opt-out check of compute outputs released in the period: the persons the output's job was
   * served (`compute.job_member`, recorded with the run's end) against the list versions in force
   * when the run started and the versions the run's provenance recorded. An output whose job has
   * no member record (run before that recording existed) is `unverifiable`.
   */
  private async computeOptOutChecks(
    from: Date,
    to: Date,
    entries: readonly AuditRecord[],
    lists: Awaited<ReturnType<ComplianceRepository['optOutLists']>>,
    byKey: ReadonlyMap<string, string>,
  ): Promise<ReleaseOptOutCheck[]> {
    const outputs = await this.repo.computeReleasesIn(from, to);
    if (outputs.length === 0) return [];
    const entryOf = new Map<string, AuditRecord>();
    for (const e of entries) if (e.action === 'airlock.output_released' && e.target) entryOf.set(e.target.id, e);
    const used: { releaseId: string; listId: string; basis: 'time' | 'recorded' }[] = [];
    const plan = outputs.map((o) => {
      const atTime = listsInForceAt(lists, o.run_started_at ?? o.released_at);
      for (const l of atTime) used.push({ releaseId: o.id, listId: l.id, basis: 'time' });
      const recorded = recordedListVersions({ consentListVersions: o.consent_list_versions });
      const unknown: string[] = [];
      for (const k of recorded ?? []) {
        const id = byKey.get(k);
        if (id) used.push({ releaseId: o.id, listId: id, basis: 'recorded' });
        else unknown.push(k);
      }
      return { o, atTime: atTime.map((l) => listKey(l.trust_id, l.kind, l.version)), recorded, unknown };
    });
    const counts = new Map(
      (
        await this.repo.optOutCounts(
          outputs.map((o) => o.id),
          used,
          'compute',
        )
      ).map((c) => [c.release_id, c]),
    );
    return plan.map(({ o, atTime, recorded, unknown }): ReleaseOptOutCheck => {
      const c = counts.get(o.id);
      const membersRecorded = (c?.member_rows ?? 0) > 0;
      const optedOutAtTime = c?.opted_out_at_time ?? 0;
      const optedOutRecorded = c?.opted_out_recorded ?? 0;
      const entry = entryOf.get(o.id);
      const notes: string[] = [`job ${o.job_id}`];
      if (!membersRecorded) notes.push('no member record (run made before member recording)');
      if (!o.run_started_at) notes.push('run start unknown: lists in force at release used');
      if (!entry) notes.push('no airlock.output_released entry in the period');
      if (unknown.length) notes.push(`unknown list versions ${unknown.join(';')}`);
      return {
        releaseId: o.id,
        at: o.released_at.toISOString(),
        kind: 'compute_output',
        projectId: o.project_id,
        partnerId: o.partner_id,
        auditSeq: entry?.seq ?? null,
        listVersionsAtTime: atTime,
        listVersionsRecorded: recorded,
        personsCounted: c?.members ?? 0,
        optedOutAtTime,
        optedOutRecorded,
        status: !membersRecorded ? 'unverifiable' : optedOutAtTime > 0 || optedOutRecorded > 0 ? 'violation' : 'ok',
        note: notes.join('; '),
      };
    });
  }

  /** Statements (signed with the station key) and reconciliation of every ledger period overlapping [from, to). */
  private async revenue(from: Date, to: Date, work: string, files: PackFiles): Promise<RevenuePeriod[]> {
    const out: RevenuePeriod[] = [];
    const signer = stationStatementSigner(this.signer);
    for (const period of await this.periods.listPeriods()) {
      const b = periodBounds(period.id);
      if (b.start >= to || b.end <= from) continue;
      const dir = join(work, 'statements', period.id);
      const written = await this.statements.writePeriodStatements(period.id, dir, { signer });
      for (const [path, data] of readPackDir(dir)) files.set(`statements/${period.id}/${path}`, data);
      const reconciliation = await this.reconciliation.reconcile(period.id);
      files.set(`statements/${period.id}/reconciliation-${period.id}.json`, Buffer.from(`${JSON.stringify(reconciliation, null, 2)}\n`));
      out.push({
        periodId: period.id,
        status: period.status,
        statements: written.map((w) => ({
          party: w.party,
          totals: w.totals,
          files: [w.files.csv, w.files.events, w.files.pdf, ...(w.files.jws ? [w.files.jws] : [])].map(
            (f) => `statements/${period.id}/${f}`,
          ),
        })),
        reconciliation,
      });
    }
    return out;
  }
}
