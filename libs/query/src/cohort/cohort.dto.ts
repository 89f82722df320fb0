import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  Equals,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { COHORT_LIMITS, CRITERION_TYPES, EVENT_CRITERION_TYPES, SEXES, type CodeRef, type Sex, type ValueRange } from './cohort.types.js';

/**
 * Strict validators of the cohort language. Every string that reaches SQL is bound as a
 * parameter anyway; these patterns exist to refuse nonsense early with a field-level message,
 * not to make strings "safe".
 */

/** ISO calendar date; the compiler also checks it is a real date (no 2024-02-31). */
const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
/** Code-system URI or OID: printable, no spaces. */
const SYSTEM = /^[\x21-\x7e]{1,200}$/;
/** A code: printable ASCII (SNOMED, LOINC, ICD-10, dm+d, OPCS-4 codes all are). */
const CODE = /^[\x20-\x7e]{1,64}$/;
/** Postcode outward code (district), e.g. `LS1`, `SW1A`, `M60`. */
const DISTRICT = /^[A-Z]{1,2}[0-9][0-9A-Z]?$/;
/** DICOM modality code (PS3.3 C.7.3.1.1.1), e.g. `MR`, `CT`, `US`, `DX`. */
const MODALITY = /^[A-Z]{2,4}$/;

const MAX_AGE = 130;
const MAX_DAYS = 36_600; // a century: longer windows are typing mistakes

export class CodeRefDto implements CodeRef {
  @IsString()
  @Matches(SYSTEM)
  system!: string;

  @IsString()
  @Matches(CODE)
  code!: string;
}

export class ValueRangeDto implements ValueRange {
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1e12)
  @Max(1e12)
  min?: number;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(-1e12)
  @Max(1e12)
  max?: number;

  @IsOptional()
  @IsString()
  @Length(1, 40)
  unit?: string;
}

/**
 * Base of every criterion: class-transformer picks the subclass by `type`; an unknown `type`
 * falls back to this class, whose `@IsIn` then refuses it.
 */
export class CriterionDto {
  @IsString()
  @IsIn(CRITERION_TYPES)
  type!: string;
}

export class AgeCriterionDto extends CriterionDto {
  @Equals('age')
  declare type: 'age';

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_AGE)
  min?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_AGE)
  max?: number;
}

export class SexCriterionDto extends CriterionDto {
  @Equals('sex')
  declare type: 'sex';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SEXES.length)
  @ArrayUnique()
  @IsIn(SEXES, { each: true })
  anyOf!: Sex[];
}

export class DistrictCriterionDto extends CriterionDto {
  @Equals('district')
  declare type: 'district';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(COHORT_LIMITS.maxCodes)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(DISTRICT, { each: true })
  anyOf!: string[];
}

/** Shared date bounds of event criteria; also the only kinds allowed inside a temporal relation. */
export class EventCriterionDto extends CriterionDto {
  @IsIn(EVENT_CRITERION_TYPES)
  declare type: (typeof EVENT_CRITERION_TYPES)[number];

  @IsOptional()
  @IsString()
  @Matches(ISO_DATE)
  from?: string;

  @IsOptional()
  @IsString()
  @Matches(ISO_DATE)
  to?: string;
}

export class CodedEventCriterionDto extends EventCriterionDto {
  @IsIn(['condition', 'medication', 'procedure', 'encounter'])
  declare type: 'condition' | 'medication' | 'procedure' | 'encounter';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(COHORT_LIMITS.maxCodes)
  @ValidateNested({ each: true })
  @Type(() => CodeRefDto)
  codes!: CodeRefDto[];
}

export class ObservationCriterionDto extends EventCriterionDto {
  @Equals('observation')
  declare type: 'observation';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(COHORT_LIMITS.maxCodes)
  @ValidateNested({ each: true })
  @Type(() => CodeRefDto)
  codes!: CodeRefDto[];

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ValueRangeDto)
  value?: ValueRangeDto;
}

export class ImagingCriterionDto extends EventCriterionDto {
  @Equals('imaging')
  declare type: 'imaging';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(COHORT_LIMITS.maxCodes)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(MODALITY, { each: true })
  modalities!: string[];
}

/**
 * The subtype tables are filled at the bottom of this file: the composite classes refer to
 * themselves, and decorator arguments run while later classes are still undefined.
 */
const CRITERION_SUBTYPES: { name: string; value: new () => CriterionDto }[] = [];
const EVENT_SUBTYPES: { name: string; value: new () => CriterionDto }[] = [];
const criterionType = { discriminator: { property: 'type', subTypes: CRITERION_SUBTYPES }, keepDiscriminatorProperty: true };
const eventType = { discriminator: { property: 'type', subTypes: EVENT_SUBTYPES }, keepDiscriminatorProperty: true };

export class AndCriterionDto extends CriterionDto {
  @Equals('and')
  declare type: 'and';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(COHORT_LIMITS.maxChildren)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CriterionDto, criterionType)
  of!: CriterionDto[];
}

export class OrCriterionDto extends CriterionDto {
  @Equals('or')
  declare type: 'or';

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(COHORT_LIMITS.maxChildren)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CriterionDto, criterionType)
  of!: CriterionDto[];
}

export class NotCriterionDto extends CriterionDto {
  @Equals('not')
  declare type: 'not';

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => CriterionDto, criterionType)
  criterion!: CriterionDto;
}

export class TemporalCriterionDto extends CriterionDto {
  @Equals('temporal')
  declare type: 'temporal';

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => EventCriterionDto, eventType)
  first!: EventCriterionDto;

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => EventCriterionDto, eventType)
  then!: EventCriterionDto;

  @IsInt()
  @Min(0)
  @Max(MAX_DAYS)
  withinDays!: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_DAYS)
  minDays?: number;
}

export class CohortDefinitionDto {
  @Equals(1)
  version!: 1;

  @IsOptional()
  @IsString()
  @Matches(ISO_DATE)
  indexDate?: string;

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => CriterionDto, criterionType)
  criteria!: CriterionDto;
}

const EVENT_CLASSES: Record<(typeof EVENT_CRITERION_TYPES)[number], new () => CriterionDto> = {
  condition: CodedEventCriterionDto,
  medication: CodedEventCriterionDto,
  procedure: CodedEventCriterionDto,
  encounter: CodedEventCriterionDto,
  observation: ObservationCriterionDto,
  imaging: ImagingCriterionDto,
};
for (const [name, value] of Object.entries(EVENT_CLASSES)) EVENT_SUBTYPES.push({ name, value });
CRITERION_SUBTYPES.push(
  ...EVENT_SUBTYPES,
  { name: 'age', value: AgeCriterionDto },
  { name: 'sex', value: SexCriterionDto },
  { name: 'district', value: DistrictCriterionDto },
  { name: 'and', value: AndCriterionDto },
  { name: 'or', value: OrCriterionDto },
  { name: 'not', value: NotCriterionDto },
  { name: 'temporal', value: TemporalCriterionDto },
);
