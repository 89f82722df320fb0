import { csvField, formatPence, renderTextPdf, type PdfLine } from '@harbour/ledger';
import type { AuditEvent, ComplianceReport } from './report.types.js';

/** The machine-readable tables of a pack (CSV, RFC 4180, CRLF; formula-like cells neutralised). */
export const REPORT_FILES = {
  json: 'report.json',
  pdf: 'report.pdf',
  processing: 'processing-records.csv',
  access: 'data-access.csv',
  governance: 'governance-decisions.csv',
  optOut: 'opt-out-compliance.csv',
  privacy: 'privacy-budget.csv',
  sdc: 'sdc-actions.csv',
  airlock: 'airlock-decisions.csv',
  revenue: 'revenue.csv',
} as const;

type Cell = string | number | boolean | null;
const csv = (header: readonly string[], rows: readonly (readonly Cell[])[]): Buffer =>
  Buffer.from(
    [header, ...rows].map((r) => `${r.map((v) => csvField(typeof v === 'boolean' ? String(v) : v)).join(',')}\r\n`).join(''),
    'utf8',
  );
const json = (v: unknown): string => JSON.stringify(v);
const list = (xs: readonly string[]): string => xs.join(';');

const AUDIT_HEADER = [
  'seq',
  'at',
  'action',
  'outcome',
  'actor_type',
  'actor_id',
  'actor_role',
  'org_id',
  'project_id',
  'trust_id',
  'target',
  'details',
];
const auditRow = (e: AuditEvent): Cell[] => [
  e.seq,
  e.at,
  e.action,
  e.outcome,
  e.actorType,
  e.actorId,
  e.actorRole,
  e.orgId,
  e.projectId,
  e.trustId,
  e.target,
  json(e.details),
];

/** Every CSV table and the JSON of a report, by pack path. */
export function renderReportTables(r: ComplianceReport): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  out.set(REPORT_FILES.json, Buffer.from(`${JSON.stringify(r, null, 2)}\n`, 'utf8'));
  out.set(
    REPORT_FILES.processing,
    csv(
      [
        'project_id',
        'title',
        'status',
        'purpose',
        'legal_basis_art6',
        'legal_basis_art9',
        'commercial_use',
        'duo_codes',
        'recipient_partner_id',
        'recipient_partner_name',
        'recipient_members',
        'ehr_data_classes',
        'imaging_modalities',
        'ehr_deid_profile',
        'trusts',
        'approvals',
        'activated_at',
        'end_date',
        'retention',
        'agreement_version',
        'trust_share_bps',
      ],
      r.processingRecords.map((p) => [
        p.projectId,
        p.title,
        p.status,
        p.purpose,
        p.legalBasis.article6,
        p.legalBasis.article9,
        p.commercialUse,
        list(p.duoCodes),
        p.recipients.partnerId,
        p.recipients.partnerName,
        list(p.recipients.members),
        list(p.dataClasses.ehrResourceTypes),
        list(p.dataClasses.imagingModalities),
        p.deidentification.ehrProfile,
        list(p.trusts.map((t) => `${t.trustId}:${t.status}`)),
        list(p.approvals.map((a) => `${a.trustId}:${a.guardianId}:${a.decision}:${a.at}`)),
        p.activatedAt,
        p.endDate,
        p.retention,
        p.agreement?.version ?? null,
        p.agreement?.trustShareBps ?? null,
      ]),
    ),
  );
  out.set(REPORT_FILES.access, csv(AUDIT_HEADER, r.dataAccess.map(auditRow)));
  out.set(
    REPORT_FILES.governance,
    csv(
      ['source', 'seq', 'at', 'action', 'actor_id', 'actor_role', 'project_id', 'trust_id', 'target', 'reason', 'end_date', 'details'],
      [
        ...r.governance.auditEvents.map((e): Cell[] => [
          'audit',
          e.seq,
          e.at,
          e.action,
          e.actorId,
          e.actorRole,
          e.projectId,
          e.trustId,
          e.target,
          null,
          null,
          json(e.details),
        ]),
        ...r.governance.guardianDecisions.map((d): Cell[] => [
          'access.decision',
          null,
          d.at,
          `decision:${d.decision}`,
          d.guardianId,
          'guardian',
          d.projectId,
          d.trustId,
          `decision:${d.decisionId}`,
          d.reason,
          d.endDate,
          json(d.conditions),
        ]),
      ],
    ),
  );
  out.set(
    REPORT_FILES.optOut,
    csv(
      [
        'release_id',
        'at',
        'kind',
        'project_id',
        'partner_id',
        'audit_seq',
        'list_versions_at_time',
        'list_versions_recorded',
        'persons_counted',
        'opted_out_at_time',
        'opted_out_recorded',
        'status',
        'note',
      ],
      r.optOutCompliance.releases.map((c) => [
        c.releaseId,
        c.at,
        c.kind,
        c.projectId,
        c.partnerId,
        c.auditSeq,
        list(c.listVersionsAtTime),
        c.listVersionsRecorded ? list(c.listVersionsRecorded) : null,
        c.personsCounted,
        c.optedOutAtTime,
        c.optedOutRecorded,
        c.status,
        c.note,
      ]),
    ),
  );
  out.set(
    REPORT_FILES.privacy,
    csv(
      ['project_id', 'epsilon_total', 'epsilon_spent', 'epsilon_remaining', 'epsilon_charged_in_period', 'charges_in_period'],
      r.privacyBudgets.map((b) => [
        b.projectId,
        b.epsilonTotal,
        b.epsilonSpent,
        b.epsilonRemaining,
        b.epsilonChargedInPeriod,
        b.chargesInPeriod,
      ]),
    ),
  );
  out.set(
    REPORT_FILES.sdc,
    csv(
      ['seq', 'at', 'project_id', 'release_id', 'rule', 'target'],
      r.sdcActions.map((a) => [a.seq, a.at, a.projectId, a.releaseId, a.rule, a.target]),
    ),
  );
  out.set(REPORT_FILES.airlock, csv(AUDIT_HEADER, r.airlockDecisions.map(auditRow)));
  out.set(
    REPORT_FILES.revenue,
    csv(
      [
        'period',
        'period_status',
        'party_kind',
        'party_id',
        'party_name',
        'currency',
        'events',
        'gross_pence',
        'amount_pence',
        'reconciled',
      ],
      r.revenue.flatMap((p) =>
        p.statements.flatMap((s) =>
          s.totals.map((t): Cell[] => [
            p.periodId,
            p.status,
            s.party.kind,
            s.party.id,
            s.party.name,
            t.currency,
            t.events,
            t.grossPence,
            t.amountPence,
            p.reconciliation.ok,
          ]),
        ),
      ),
    ),
  );
  return out;
}

const MAX_ROWS = 60;

/** The human-readable summary (PDF 1.4, the ledger's writer): every section, long tables cut short. */
export function renderReportPdf(r: ComplianceReport): Buffer {
  const L: PdfLine[] = [];
  const h = (text: string): void => void L.push({ text, font: 'bold', size: 12, gapBefore: 10 });
  const p = (text: string): void => void L.push({ text });
  const m = (text: string): void => void L.push({ text, font: 'mono', size: 8 });
  const capped = <T>(rows: readonly T[], file: string, each: (row: T) => void): void => {
    rows.slice(0, MAX_ROWS).forEach(each);
    if (rows.length > MAX_ROWS) p(`... and ${rows.length - MAX_ROWS} more: see ${file}`);
    if (rows.length === 0) p('None in the period.');
  };

  L.push({ text: 'Harbour compliance report', font: 'bold', size: 16 });
  p(`Period: ${r.from} to ${r.to} (end exclusive)`);
  p(`Generated ${r.generatedAt} by ${r.generatedBy.type} ${r.generatedBy.id ?? ''} (${r.generatedBy.role ?? 'no role'})`);
  p('Signed manifest: manifest.json / manifest.jws. Verify offline with: harbour audit verify <pack folder>');

  h('Summary');
  const s = r.summary;
  p(`Projects: ${s.projects}   data access events: ${s.dataAccessEvents}   governance events: ${s.governanceEvents}`);
  p(`Opt-out check: ${s.releasesChecked} results checked, ${s.optOutViolations} violation(s)`);
  p(`Audit trail verified: ${s.auditTrailOk ? 'yes' : 'NO'}   ledger reconciled: ${s.reconciliationOk ? 'yes' : 'NO'}`);

  h('1. Records of processing (UK GDPR Art. 30)');
  capped(r.processingRecords, REPORT_FILES.processing, (x) => {
    L.push({ text: `${x.title} (${x.projectId})`, font: 'bold', gapBefore: 4 });
    p(`Status ${x.status}; activated ${x.activatedAt ?? '-'}; ends ${x.endDate ?? '-'}`);
    p(`Purpose: ${x.purpose}`);
    p(`Legal basis: Art. 6 ${x.legalBasis.article6}, Art. 9 ${x.legalBasis.article9}; commercial use: ${x.commercialUse ? 'yes' : 'no'}`);
    p(`Recipient: ${x.recipients.partnerName ?? x.recipients.partnerId} (${x.recipients.members.length} member(s))`);
    p(
      `Data classes: ${x.dataClasses.ehrResourceTypes.join(', ') || '-'}; imaging: ${x.dataClasses.imagingModalities.join(', ') || 'none'}`,
    );
    p(`Trusts: ${x.trusts.map((t) => `${t.name ?? t.trustId} ${t.status}`).join('; ')}`);
    for (const a of x.approvals) p(`  ${a.decision} by guardian ${a.guardianId} for ${a.trustId} at ${a.at}`);
    p(`Retention: ${x.retention}`);
    if (x.agreement) p(`Agreement v${x.agreement.version}: trusts' share ${x.agreement.trustShareBps / 100}% (${x.agreement.splitMethod})`);
  });

  h('2. Data access and releases');
  capped(r.dataAccess, REPORT_FILES.access, (e) =>
    m(`${e.seq} ${e.at} ${e.action} ${e.outcome} ${e.actorType}:${e.actorId ?? '-'} project ${e.projectId ?? '-'}`),
  );

  h('3. Governance decisions');
  capped(r.governance.guardianDecisions, REPORT_FILES.governance, (d) =>
    m(`${d.at} ${d.decision} trust ${d.trustId} project ${d.projectId} guardian ${d.guardianId}`),
  );
  capped(r.governance.auditEvents, REPORT_FILES.governance, (e) =>
    m(`${e.seq} ${e.at} ${e.action} ${e.actorRole ?? '-'} ${e.target ?? ''}`),
  );

  h('4. Opt-out compliance (recomputed)');
  const o = r.optOutCompliance;
  p(
    `${o.ok ? 'PASS' : 'FAIL'}: ${o.releasesChecked} results checked, ${o.violations} counted an opted-out person, ${o.unverifiable} could not be checked.`,
  );
  p(o.method);
  capped(
    o.releases.filter((c) => c.status !== 'ok'),
    REPORT_FILES.optOut,
    (c) => m(`${c.releaseId} ${c.at} ${c.status} at-time ${c.optedOutAtTime} recorded ${c.optedOutRecorded} ${c.note ?? ''}`),
  );

  h('5. Audit trail');
  const a = r.auditTrail;
  p(
    `Pack window: ${a.window.ok ? 'verified' : `FAILED (${a.window.failure?.message ?? ''})`}, ${a.window.entriesChecked} entries (seq ${a.window.firstSeq ?? '-'} to ${a.window.lastSeq ?? '-'}), ${a.window.checkpointsChecked} signed checkpoints.`,
  );
  p(`Live trail at generation: ${a.live.ok ? 'verified' : 'FAILED'}, ${a.live.entriesChecked} entries.`);
  p(`Signed checkpoints pin the window through entry ${a.pinnedThroughSeq ?? 'none'}.`);
  for (const c of a.checkpoints.slice(-10)) m(`checkpoint ${c.treeSize} ${c.time} ${c.headHash.slice(0, 16)}... kid ${c.kid.slice(0, 12)}`);

  h('6. Privacy budget use');
  capped(r.privacyBudgets, REPORT_FILES.privacy, (b) =>
    m(
      `${b.projectId} total ${b.epsilonTotal} spent ${b.epsilonSpent} in period ${b.epsilonChargedInPeriod} (${b.chargesInPeriod} charges)`,
    ),
  );

  h('7. Disclosure control actions');
  const byRule = new Map<string, number>();
  for (const x of r.sdcActions) byRule.set(x.rule, (byRule.get(x.rule) ?? 0) + 1);
  if (byRule.size === 0) p('None in the period.');
  for (const [rule, n] of [...byRule].sort()) p(`${rule}: ${n}`);

  h('8. Airlock decisions');
  capped(r.airlockDecisions, REPORT_FILES.airlock, (e) => m(`${e.seq} ${e.at} ${e.action} ${e.actorRole ?? '-'} ${e.target ?? ''}`));

  h('9. Revenue statements and reconciliation');
  if (r.revenue.length === 0) p('No ledger period overlaps the report.');
  for (const per of r.revenue) {
    L.push({
      text: `Period ${per.periodId} (${per.status}): reconciliation ${per.reconciliation.ok ? 'clean' : 'DIFFERENCES FOUND'}`,
      font: 'bold',
      gapBefore: 4,
    });
    for (const st of per.statements)
      for (const t of st.totals)
        m(
          `${st.party.kind.padEnd(8)} ${(st.party.name ?? st.party.id).slice(0, 40).padEnd(40)} ${t.currency} ${formatPence(t.amountPence).padStart(14)}`,
        );
  }
  return renderTextPdf(L, { title: `Harbour compliance report ${r.from} to ${r.to}`, footer: 'Harbour compliance report' });
}
