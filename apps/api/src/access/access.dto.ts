import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDateString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

const RESOURCE_TYPES = [
  'Patient',
  'Encounter',
  'Condition',
  'Observation',
  'MedicationRequest',
  'Procedure',
  'DiagnosticReport',
  'DocumentReference',
  'ImagingStudy',
  'Consent',
];
const MODALITIES = ['CT', 'MR', 'CR', 'DX', 'US', 'PT', 'NM', 'MG', 'XA', 'RF', 'OT', 'SR', 'SC'];
// PS3.15 Annex E options, named as libs/deid-dicom names them (Retain Full Dates and Retain UIDs
// are deliberately not offered to partners: both defeat the date shift and UID remapping).
const DICOM_OPTIONS = [
  'retainLongitudinalModifiedDates',
  'retainPatientCharacteristics',
  'retainDeviceIdentity',
  'retainInstitutionIdentity',
  'retainSafePrivate',
  'cleanDescriptors',
  'cleanStructuredContent',
];

export class RequestedDataDto {
  @ApiProperty({ example: ['Patient', 'Condition', 'Observation'], enum: RESOURCE_TYPES, isArray: true })
  @IsArray()
  @ArrayMaxSize(20)
  @IsIn(RESOURCE_TYPES, { each: true })
  ehrResourceTypes!: string[];

  @ApiProperty({ example: ['CT'], enum: MODALITIES, isArray: true })
  @IsArray()
  @ArrayMaxSize(20)
  @IsIn(MODALITIES, { each: true })
  imagingModalities!: string[];
}

export class DeidSelectionDto {
  @ApiProperty({ example: 'harbour-ehr-deid-1.0.0' })
  @IsString()
  @MaxLength(100)
  ehrProfile!: string;

  @ApiProperty({ enum: DICOM_OPTIONS, isArray: true, example: ['retainLongitudinalModifiedDates'] })
  @IsArray()
  @IsIn(DICOM_OPTIONS, { each: true })
  dicomOptions!: string[];
}

export class CreateAccessRequestDto {
  @ApiProperty() @IsString() @MinLength(3) @MaxLength(200) title!: string;
  @ApiProperty() @IsString() @MinLength(10) @MaxLength(5000) purpose!: string;
  @ApiProperty() @IsString() @MinLength(10) @MaxLength(5000) laySummary!: string;

  @ApiProperty({ example: '6(1)(e)', description: 'UK GDPR Article 6(1) lawful basis' })
  @Matches(/^6\(1\)\([a-f]\)$/)
  legalBasisArt6!: string;

  @ApiProperty({ example: '9(2)(j)', description: 'UK GDPR Article 9(2) condition' })
  @Matches(/^9\(2\)\([a-j]\)$/)
  legalBasisArt9!: string;

  @ApiProperty() @IsBoolean() commercialUse!: boolean;

  @ApiProperty({ example: ['DUO:0000007'], description: 'GA4GH Data Use Ontology codes' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(/^DUO:\d{7}$/, { each: true })
  duoCodes!: string[];

  @ApiProperty({ description: 'ids of the trusts whose data is requested' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  trustIds!: string[];

  @ApiProperty({ type: RequestedDataDto })
  @ValidateNested()
  @Type(() => RequestedDataDto)
  requestedData!: RequestedDataDto;

  @ApiProperty({ type: DeidSelectionDto })
  @ValidateNested()
  @Type(() => DeidSelectionDto)
  deidentification!: DeidSelectionDto;

  @ApiProperty({ example: 365 }) @IsInt() @Min(1) @Max(1095) requestedDurationDays!: number;

  @ApiPropertyOptional({ description: 'user and client ids who will use the project (empty: any of the partner)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  members?: string[];
}

export class UpdateAccessRequestDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(3) @MaxLength(200) title?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(10) @MaxLength(5000) purpose?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(10) @MaxLength(5000) laySummary?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() commercialUse?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(1095) requestedDurationDays?: number;
  @ApiPropertyOptional() @IsOptional() @IsArray() @ArrayMinSize(1) @IsUUID('all', { each: true }) trustIds?: string[];
  @ApiPropertyOptional({ type: RequestedDataDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RequestedDataDto)
  requestedData?: RequestedDataDto;
}

export class ApprovalConditionsDto {
  @ApiPropertyOptional({ minimum: 10 }) @IsOptional() @IsInt() @Min(10) @Max(1000) suppressionThreshold?: number;
  @ApiPropertyOptional({ minimum: 5 }) @IsOptional() @IsInt() @Min(5) @Max(1000) roundingBase?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() noImaging?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() requireStudyConsent?: boolean;
  @ApiPropertyOptional({ enum: RESOURCE_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @IsIn(RESOURCE_TYPES, { each: true })
  resourceTypes?: string[];
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) note?: string;
}

export class DecisionDto {
  @ApiProperty({ enum: ['approve', 'reject', 'request_changes'] })
  @IsIn(['approve', 'reject', 'request_changes'])
  decision!: 'approve' | 'reject' | 'request_changes';

  @ApiProperty() @IsString() @MinLength(3) @MaxLength(2000) reason!: string;

  @ApiPropertyOptional({ type: ApprovalConditionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ApprovalConditionsDto)
  conditions?: ApprovalConditionsDto;

  @ApiPropertyOptional({ description: "required to approve: the end of this trust's approval (ISO 8601)" })
  @IsOptional()
  @IsDateString()
  endDate?: string;
}

export class RevokeDto {
  @ApiProperty() @IsString() @MinLength(3) @MaxLength(2000) reason!: string;
}

export class FeasibilityGrantDto {
  @ApiProperty() @IsDateString() validUntil!: string;
}
