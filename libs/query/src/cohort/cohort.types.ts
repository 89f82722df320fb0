/**
 * The cohort language (version 1), as the compiler sees it after validation. Documented with
 * examples in libs/query/README.md; the DTOs in cohort.dto.ts are the strict validators of it.
 */

/** FHIR administrative gender (http://hl7.org/fhir/administrative-gender), as kept in research.patient.sex. */
export const SEXES = ['male', 'female', 'other', 'unknown'] as const;
export type Sex = (typeof SEXES)[number];

/** Event kinds a criterion may name: the research.event kinds (research-event.entity.ts). */
export const EVENT_CRITERION_TYPES = ['condition', 'observation', 'medication', 'procedure', 'encounter', 'imaging'] as const;
export type EventCriterionType = (typeof EVENT_CRITERION_TYPES)[number];

export const DEMOGRAPHIC_CRITERION_TYPES = ['age', 'sex', 'district'] as const;
export const COMPOSITE_CRITERION_TYPES = ['and', 'or', 'not', 'temporal'] as const;
export const CRITERION_TYPES = [...DEMOGRAPHIC_CRITERION_TYPES, ...EVENT_CRITERION_TYPES, ...COMPOSITE_CRITERION_TYPES] as const;
export type CriterionType = (typeof CRITERION_TYPES)[number];

/** A code in a code system (SNOMED CT, LOINC, dm+d, OPCS-4, ICD-10 …), matched exactly. */
export interface CodeRef {
  readonly system: string;
  readonly code: string;
}

/** Inclusive calendar-date bounds (`YYYY-MM-DD`) on the event date. */
export interface DateBounds {
  readonly from?: string;
  readonly to?: string;
}

/** Age in whole years at the cohort's index date, inclusive bounds. */
export interface AgeCriterion {
  readonly type: 'age';
  readonly min?: number;
  readonly max?: number;
}

export interface SexCriterion {
  readonly type: 'sex';
  readonly anyOf: readonly Sex[];
}

/** Postcode district (outward code, e.g. `LS1`): the research store keeps nothing finer. */
export interface DistrictCriterion {
  readonly type: 'district';
  readonly anyOf: readonly string[];
}

export interface CodedEventCriterion extends DateBounds {
  readonly type: 'condition' | 'medication' | 'procedure' | 'encounter';
  readonly codes: readonly CodeRef[];
}

export interface ValueRange {
  readonly min?: number;
  readonly max?: number;
  /** UCUM unit as recorded; when given, only values in this unit match. */
  readonly unit?: string;
}

export interface ObservationCriterion extends DateBounds {
  readonly type: 'observation';
  readonly codes: readonly CodeRef[];
  readonly value?: ValueRange;
}

/** An imaging study of one of these DICOM modalities (PS3.16 CID 29, e.g. `MR`, `CT`). */
export interface ImagingCriterion extends DateBounds {
  readonly type: 'imaging';
  readonly modalities: readonly string[];
}

export type EventCriterion = CodedEventCriterion | ObservationCriterion | ImagingCriterion;

export interface AndCriterion {
  readonly type: 'and';
  readonly of: readonly Criterion[];
}

export interface OrCriterion {
  readonly type: 'or';
  readonly of: readonly Criterion[];
}

export interface NotCriterion {
  readonly type: 'not';
  readonly criterion: Criterion;
}

/**
 * "`then` within `withinDays` days after `first`": an event matching `then` dated between
 * `minDays` (default 0) and `withinDays` days after an event matching `first`, same person.
 */
export interface TemporalCriterion {
  readonly type: 'temporal';
  readonly first: EventCriterion;
  readonly then: EventCriterion;
  readonly withinDays: number;
  readonly minDays?: number;
}

export type Criterion =
  AgeCriterion | SexCriterion | DistrictCriterion | EventCriterion | AndCriterion | OrCriterion | NotCriterion | TemporalCriterion;

export interface CohortDefinition {
  readonly version: 1;
  /** The date ages are computed at (`YYYY-MM-DD`); defaults to the scope's `asOf`. */
  readonly indexDate?: string;
  readonly criteria: Criterion;
}

/** Size limits: a cohort is a few criteria, not a program. Checked before and after validation. */
export const COHORT_LIMITS = {
  /** Largest JSON text of a definition. */
  maxBytes: 64 * 1024,
  /** Deepest nesting of JSON objects/arrays (a criterion tree of depth ~8). */
  maxJsonDepth: 24,
  /** Deepest criterion tree (root = 1). */
  maxCriterionDepth: 8,
  /** Most criteria in one definition. */
  maxCriteria: 64,
  /** Most children of one and/or. */
  maxChildren: 20,
  /** Most codes (or modalities, sexes, districts) in one criterion. */
  maxCodes: 200,
  /** Most codes over the whole definition. */
  maxTotalCodes: 1000,
} as const;
