import type { CheckpointRecord, TrailVerification } from '@harbour/audit';
import type { ReconciliationReport, StatementTotal } from '@harbour/ledger';

export const REPORT_FORMAT = 'harbour.compliance.report/v1';

/** A record of processing for one project (UK GDPR Art. 30(1); NHS DSPT 1.3: data flows and their basis). */
export interface ProcessingRecord {
  readonly projectId: string;
  readonly title: string;
  readonly status: string;
  readonly statusReason: string | null;
  readonly purpose: string;
  readonly legalBasis: { readonly article6: string; readonly article9: string };
  readonly commercialUse: boolean;
  readonly duoCodes: readonly string[];
  /** The recipient: the partner organisation and the people and clients who use the project. */
  readonly recipients: { readonly partnerId: string; readonly partnerName: string | null; readonly members: readonly string[] };
  readonly dataClasses: { readonly ehrResourceTypes: readonly string[]; readonly imagingModalities: readonly string[] };
  readonly deidentification: { readonly ehrProfile: string | null; readonly dicomOptions: readonly string[] };
  readonly trusts: readonly {
    readonly trustId: string;
    readonly name: string | null;
    readonly status: string;
    readonly conditions: Readonly<Record<string, unknown>>;
    readonly endDate: string | null;
    readonly decidedAt: string | null;
  }[];
  readonly approvals: readonly {
    readonly trustId: string;
    readonly guardianId: string;
    readonly decision: string;
    readonly reason: string;
    readonly at: string;
    readonly endDate: string | null;
  }[];
  readonly submittedAt: string | null;
  readonly activatedAt: string | null;
  /** The latest end date of an approving trust: access ends then at the latest. */
  readonly endDate: string | null;
  readonly retention: string;
  readonly agreement: {
    readonly version: number;
    readonly currency: string;
    readonly trustShareBps: number;
    readonly splitMethod: string;
    readonly effectiveFrom: string;
  } | null;
}

/** One audit entry, flattened for a table. */
export interface AuditEvent {
  readonly seq: number;
  readonly at: string;
  readonly action: string;
  readonly outcome: string;
  readonly actorType: string;
  readonly actorId: string | null;
  readonly actorRole: string | null;
  readonly orgId: string | null;
  readonly projectId: string | null;
  readonly trustId: string | null;
  readonly target: string | null;
  /** The entry's payload (ids, codes and counts only, by construction of the trail). */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface GuardianDecision {
  readonly decisionId: string;
  readonly at: string;
  readonly projectId: string;
  readonly trustId: string;
  readonly guardianId: string;
  readonly decision: string;
  readonly reason: string;
  readonly endDate: string | null;
  readonly conditions: Readonly<Record<string, unknown>>;
}

export type OptOutStatus = 'ok' | 'violation' | 'unverifiable';

/** The recomputed opt-out check of one released result. */
export interface ReleaseOptOutCheck {
  readonly releaseId: string;
  readonly at: string;
  readonly kind: string | null;
  readonly projectId: string | null;
  readonly partnerId: string;
  readonly auditSeq: number | null;
  /** Opt-out list versions in force when the result was made: `trustId:kind:version`. */
  readonly listVersionsAtTime: readonly string[];
  /** The versions the result's audit entry says it used (null: no entry found in the period). */
  readonly listVersionsRecorded: readonly string[] | null;
  readonly personsCounted: number;
  /** Persons the release counted who were on a list in force at the time (must be 0). */
  readonly optedOutAtTime: number;
  /** … on the versions recorded in its audit entry (must be 0). */
  readonly optedOutRecorded: number;
  readonly status: OptOutStatus;
  readonly note: string | null;
}

export interface OptOutCompliance {
  readonly ok: boolean;
  readonly releasesChecked: number;
  readonly violations: number;
  readonly unverifiable: number;
  readonly method: string;
  readonly releases: readonly ReleaseOptOutCheck[];
}

export interface PrivacyBudgetUse {
  readonly projectId: string;
  readonly epsilonTotal: number;
  readonly epsilonSpent: number;
  readonly epsilonRemaining: number;
  readonly epsilonChargedInPeriod: number;
  readonly chargesInPeriod: number;
}

export interface SdcActionRow {
  readonly seq: number;
  readonly at: string;
  readonly projectId: string | null;
  readonly releaseId: string | null;
  readonly rule: string;
  readonly target: string;
}

export interface RevenuePeriod {
  readonly periodId: string;
  readonly status: string;
  readonly statements: readonly {
    readonly party: { readonly kind: 'partner' | 'trust'; readonly id: string; readonly name: string | null };
    readonly totals: readonly StatementTotal[];
    readonly files: readonly string[];
  }[];
  readonly reconciliation: ReconciliationReport;
}

export interface AuditTrailSection {
  /** The pack's own stretch of the trail, verified offline as the auditor will. */
  readonly window: TrailVerification;
  /** The whole live trail, verified by the station when the pack was made. */
  readonly live: TrailVerification;
  readonly checkpoints: readonly CheckpointRecord[];
  /** The highest entry a signed checkpoint in the pack pins (null: none in the window). */
  readonly pinnedThroughSeq: number | null;
}

/** `report.json`: everything in the pack, machine-readable. */
export interface ComplianceReport {
  readonly format: typeof REPORT_FORMAT;
  readonly from: string;
  readonly to: string;
  readonly generatedAt: string;
  readonly generatedBy: { readonly type: string; readonly id: string | null; readonly role: string | null };
  readonly summary: {
    readonly projects: number;
    readonly dataAccessEvents: number;
    readonly governanceEvents: number;
    readonly releasesChecked: number;
    readonly optOutViolations: number;
    readonly auditTrailOk: boolean;
    readonly reconciliationOk: boolean;
  };
  readonly processingRecords: readonly ProcessingRecord[];
  readonly dataAccess: readonly AuditEvent[];
  readonly governance: { readonly auditEvents: readonly AuditEvent[]; readonly guardianDecisions: readonly GuardianDecision[] };
  readonly optOutCompliance: OptOutCompliance;
  readonly auditTrail: AuditTrailSection;
  readonly privacyBudgets: readonly PrivacyBudgetUse[];
  readonly sdcActions: readonly SdcActionRow[];
  readonly airlockDecisions: readonly AuditEvent[];
  readonly revenue: readonly RevenuePeriod[];
}
