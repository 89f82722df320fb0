import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { DomainError, type FieldError } from '@harbour/errors';
import {
  AgeCriterionDto,
  AndCriterionDto,
  CodedEventCriterionDto,
  CohortDefinitionDto,
  DistrictCriterionDto,
  ImagingCriterionDto,
  NotCriterionDto,
  ObservationCriterionDto,
  OrCriterionDto,
  SexCriterionDto,
  TemporalCriterionDto,
  type CriterionDto,
  type EventCriterionDto,
} from './cohort.dto.js';
import { COHORT_LIMITS, type CodeRef, type CohortDefinition, type Criterion, type EventCriterion } from './cohort.types.js';

function invalid(fields: FieldError[]): DomainError {
  return new DomainError('invalid_cohort', 'cohort definition is invalid', { fields });
}

function flatten(errors: readonly ValidationError[], prefix: string): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    if (e.constraints) out.push({ field, messages: Object.values(e.constraints) });
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/**
 * Structural limits checked on the raw input before class-transformer walks it, so a hostile
 * body (deep nesting, huge arrays, cycles) costs us little. Returns a clean JSON copy: no
 * prototypes, getters or class instances survive.
 */
function cleanCopy(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid([{ field: 'cohort', messages: ['cohort must be a JSON object'] }]);
  }
  let text: string;
  try {
    text = JSON.stringify(input);
  } catch {
    throw invalid([{ field: 'cohort', messages: ['cohort must be plain JSON'] }]);
  }
  if (Buffer.byteLength(text, 'utf8') > COHORT_LIMITS.maxBytes) {
    throw invalid([{ field: 'cohort', messages: [`cohort must be at most ${COHORT_LIMITS.maxBytes} bytes of JSON`] }]);
  }
  // Depth from the text itself (iterative: no recursion on attacker-controlled nesting).
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  if (max > COHORT_LIMITS.maxJsonDepth) {
    throw invalid([{ field: 'cohort', messages: [`cohort nesting must be at most ${COHORT_LIMITS.maxJsonDepth} levels`] }]);
  }
  return JSON.parse(text) as unknown;
}

const isRealDate = (s: string): boolean => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};

/** Semantic checks and conversion of the validated DTO tree into the (frozen) domain model. */
class Converter {
  readonly errors: FieldError[] = [];
  private criteria = 0;
  private codes = 0;

  private fail(field: string, message: string): void {
    this.errors.push({ field, messages: [message] });
  }

  private countCodes(field: string, n: number): void {
    this.codes += n;
    if (this.codes > COHORT_LIMITS.maxTotalCodes) this.fail(field, `a cohort may name at most ${COHORT_LIMITS.maxTotalCodes} codes in all`);
  }

  private dates(field: string, c: { from?: string; to?: string }): { from?: string; to?: string } {
    if (c.from !== undefined && !isRealDate(c.from)) this.fail(`${field}.from`, 'from must be a real calendar date');
    if (c.to !== undefined && !isRealDate(c.to)) this.fail(`${field}.to`, 'to must be a real calendar date');
    if (c.from !== undefined && c.to !== undefined && c.from > c.to) this.fail(field, 'from must not be after to');
    return { ...(c.from !== undefined ? { from: c.from } : {}), ...(c.to !== undefined ? { to: c.to } : {}) };
  }

  private codeRefs(field: string, codes: readonly CodeRef[]): CodeRef[] {
    this.countCodes(field, codes.length);
    const seen = new Map<string, CodeRef>();
    for (const c of codes) seen.set(`${c.system}\u0000${c.code}`, { system: c.system, code: c.code });
    return [...seen.values()];
  }

  event(field: string, dto: EventCriterionDto): EventCriterion | undefined {
    this.criteria++;
    if (dto instanceof CodedEventCriterionDto) {
      return { type: dto.type, codes: this.codeRefs(`${field}.codes`, dto.codes), ...this.dates(field, dto) };
    }
    if (dto instanceof ObservationCriterionDto) {
      const v = dto.value;
      if (v && v.min !== undefined && v.max !== undefined && v.min > v.max)
        this.fail(`${field}.value`, 'value.min must not exceed value.max');
      if (v && v.min === undefined && v.max === undefined && v.unit === undefined)
        this.fail(`${field}.value`, 'value needs min, max or unit');
      const value = v
        ? {
            ...(v.min !== undefined ? { min: v.min } : {}),
            ...(v.max !== undefined ? { max: v.max } : {}),
            ...(v.unit !== undefined ? { unit: v.unit } : {}),
          }
        : undefined;
      return {
        type: 'observation',
        codes: this.codeRefs(`${field}.codes`, dto.codes),
        ...this.dates(field, dto),
        ...(value ? { value } : {}),
      };
    }
    if (dto instanceof ImagingCriterionDto) {
      this.countCodes(`${field}.modalities`, dto.modalities.length);
      return { type: 'imaging', modalities: [...dto.modalities], ...this.dates(field, dto) };
    }
    this.fail(`${field}.type`, 'an event criterion is required here');
    return undefined;
  }

  criterion(field: string, dto: CriterionDto, depth: number): Criterion | undefined {
    if (depth > COHORT_LIMITS.maxCriterionDepth) {
      this.fail(field, `criteria may nest at most ${COHORT_LIMITS.maxCriterionDepth} levels`);
      return undefined;
    }
    if (++this.criteria > COHORT_LIMITS.maxCriteria) {
      this.fail(field, `a cohort may have at most ${COHORT_LIMITS.maxCriteria} criteria`);
      return undefined;
    }
    if (dto instanceof AgeCriterionDto) {
      if (dto.min === undefined && dto.max === undefined) this.fail(field, 'age needs min or max');
      if (dto.min !== undefined && dto.max !== undefined && dto.min > dto.max) this.fail(field, 'age.min must not exceed age.max');
      return { type: 'age', ...(dto.min !== undefined ? { min: dto.min } : {}), ...(dto.max !== undefined ? { max: dto.max } : {}) };
    }
    if (dto instanceof SexCriterionDto) return { type: 'sex', anyOf: [...dto.anyOf] };
    if (dto instanceof DistrictCriterionDto) {
      this.countCodes(`${field}.anyOf`, dto.anyOf.length);
      return { type: 'district', anyOf: [...dto.anyOf] };
    }
    if (dto instanceof AndCriterionDto || dto instanceof OrCriterionDto) {
      const of = dto.of.map((c, i) => this.criterion(`${field}.of.${i}`, c, depth + 1));
      return of.every((c): c is Criterion => c !== undefined) ? { type: dto.type, of } : undefined;
    }
    if (dto instanceof NotCriterionDto) {
      const inner = this.criterion(`${field}.criterion`, dto.criterion, depth + 1);
      return inner ? { type: 'not', criterion: inner } : undefined;
    }
    if (dto instanceof TemporalCriterionDto) {
      if (dto.minDays !== undefined && dto.minDays > dto.withinDays) this.fail(field, 'minDays must not exceed withinDays');
      const first = this.event(`${field}.first`, dto.first);
      const then = this.event(`${field}.then`, dto.then);
      if (!first || !then) return undefined;
      return { type: 'temporal', first, then, withinDays: dto.withinDays, ...(dto.minDays !== undefined ? { minDays: dto.minDays } : {}) };
    }
    // Event criteria are subclasses of EventCriterionDto; anything else was refused by validation.
    return this.event(field, dto as EventCriterionDto);
  }
}

/**
 * Validate an untrusted cohort definition strictly (unknown fields refused, types exact, size and
 * depth limited) and return it as the typed, frozen domain model. Throws `invalid_cohort` with
 * field messages that name rules, never echo values.
 */
export function parseCohortDefinition(input: unknown): CohortDefinition {
  const plain = cleanCopy(input);
  let dto: CohortDefinitionDto;
  try {
    dto = plainToInstance(CohortDefinitionDto, plain);
  } catch {
    throw invalid([{ field: 'cohort', messages: ['cohort has an invalid shape'] }]);
  }
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw invalid(flatten(errors, 'cohort'));
  const conv = new Converter();
  if (dto.indexDate !== undefined && !isRealDate(dto.indexDate))
    conv.errors.push({ field: 'cohort.indexDate', messages: ['indexDate must be a real calendar date'] });
  const criteria = conv.criterion('cohort.criteria', dto.criteria, 1);
  if (conv.errors.length > 0 || !criteria) throw invalid(conv.errors);
  return deepFreeze({ version: 1, ...(dto.indexDate !== undefined ? { indexDate: dto.indexDate } : {}), criteria });
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
