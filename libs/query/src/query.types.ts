import type { EventCriterionType } from './cohort/cohort.types.js';
import type { SdcPolicy, SdcPolicyInput } from './sdc/sdc-policy.js';

/**
 * Who may see what, decided by the access layer and passed to every query: tenancy is in the
 * signature. Only data of `trustIds` (the trusts that approved the project) is read; opted-out
 * persons are never counted; with `requireStudyConsent`, only persons with a permit for
 * `projectId` in force at `asOf`.
 */
export interface QueryScope {
  readonly trustIds: readonly string[];
  readonly projectId?: string;
  readonly requireStudyConsent?: boolean;
  /** The moment the query is evaluated at: consent periods, and the default index date. */
  readonly asOf: Date;
}

export type BreakdownDimension = 'trust' | 'sex' | 'ageBand' | 'code';

/** Which codes the `code` breakdown counts cohort members by. */
export interface CodeBreakdownRequest {
  readonly kind: EventCriterionType;
  /** Only codes of this system (default: any). */
  readonly system?: string;
  /**
   * The codes to report (cells for all of them, suppressed where small). Without it, the most
   * frequent `limit` codes with at least the suppression threshold of persons are reported and
   * rarer codes are not named at all (naming a rare code would itself disclose it).
   */
  readonly codes?: readonly string[];
  readonly limit?: number;
}

export interface StatisticRequest {
  readonly observationCode: string;
  readonly codeSystem: string;
  /** Only values recorded in this unit (mixing units makes the statistic meaningless). */
  readonly unit?: string;
}

/** Differential privacy for this query: the project's budget is charged `epsilon`. */
export interface PrivacyRequest {
  readonly epsilon: number;
}

export interface QueryOptions {
  /** The partner the result is released to: differencing and rate limits are per partner. */
  readonly partnerId: string;
  /** Disclosure-control settings of the scope's trusts and the project; the strictest wins. */
  readonly sdc?: SdcPolicyInput | readonly SdcPolicyInput[];
  readonly privacy?: PrivacyRequest;
}

export interface AggregateOptions extends QueryOptions {
  readonly breakdowns?: readonly BreakdownDimension[];
  /** Required when `breakdowns` contains `code`. */
  readonly codeBreakdown?: CodeBreakdownRequest;
  readonly statistic?: StatisticRequest;
}

/** One released number. `value` is null when suppressed; `rounded` when it is a rounded figure. */
export interface Cell {
  readonly value: number | null;
  readonly suppressed: boolean;
  readonly rounded: boolean;
}

export interface BreakdownCell extends Cell {
  /** Trust id, sex, age band (`40-49`, `90+`, `unknown`) or `system|code`. */
  readonly key: string;
}

export interface BreakdownResult {
  readonly dimension: BreakdownDimension;
  readonly cells: readonly BreakdownCell[];
}

export interface StatisticResult {
  readonly observationCode: string;
  readonly codeSystem: string;
  readonly unit: string | null;
  /** Persons with a value (each person's latest value is used). */
  readonly patients: Cell;
  /** null when withheld. */
  readonly mean: number | null;
  readonly q1: number | null;
  readonly median: number | null;
  readonly q3: number | null;
  readonly withheld: boolean;
  readonly withheldReason?: 'too_few_patients' | 'privacy_mode';
}

/** What disclosure control did to a result, for the audit entry and the caller (no values). */
export type SdcAction =
  | { readonly rule: 'suppression'; readonly target: string; readonly cells: readonly string[] }
  | { readonly rule: 'rounding'; readonly target: string; readonly base: number }
  | { readonly rule: 'rare_categories_omitted'; readonly target: string }
  | { readonly rule: 'statistic_withheld'; readonly target: string; readonly reason: 'too_few_patients' | 'privacy_mode' }
  | { readonly rule: 'noise_added'; readonly target: string; readonly mechanism: 'discrete_laplace'; readonly scale: string };

export interface PrivacyCharge {
  readonly projectId: string;
  readonly epsilonCharged: number;
  readonly epsilonSpent: number;
  readonly epsilonTotal: number;
  readonly mechanism: 'discrete_laplace';
}

/** Everything the access layer needs for its audit entry; no patient data. */
export interface QueryAudit {
  readonly releaseId: string;
  /** sha-256 (hex) of the canonical cohort JSON. */
  readonly cohortHash: string;
  /** The canonical cohort JSON (index date resolved). */
  readonly canonicalCohort: string;
  readonly policy: SdcPolicy;
  readonly actions: readonly SdcAction[];
  readonly privacy?: PrivacyCharge;
}

export interface FeasibilityResult extends QueryAudit {
  readonly count: Cell;
}

export interface AggregateResult extends QueryAudit {
  readonly total: Cell;
  readonly breakdowns: readonly BreakdownResult[];
  readonly statistic?: StatisticResult;
}
