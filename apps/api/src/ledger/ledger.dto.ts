import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsISO8601, IsOptional, IsUUID, Matches, Max, Min, ValidateNested } from 'class-validator';

const MAX_PENCE = 1_000_000_000_00; // £1bn: far above any fee, far below 2^53

export class FeeScheduleDto {
  @ApiProperty({ description: 'fixed fee per project and monthly period, in pence', example: 500000 })
  @IsInt()
  @Min(0)
  @Max(MAX_PENCE)
  fixedPerPeriodPence!: number;

  @ApiProperty({ description: 'per executed query, in pence', example: 250 })
  @IsInt()
  @Min(0)
  @Max(MAX_PENCE)
  perQueryPence!: number;

  @ApiProperty({ description: 'per whole compute minute, in pence', example: 25 })
  @IsInt()
  @Min(0)
  @Max(MAX_PENCE)
  perComputeMinutePence!: number;

  @ApiProperty({ description: 'per output released by the airlock, in pence', example: 10000 })
  @IsInt()
  @Min(0)
  @Max(MAX_PENCE)
  perOutputReleasedPence!: number;

  @ApiProperty({ description: 'per imaging study retrieved, in pence', example: 75 })
  @IsInt()
  @Min(0)
  @Max(MAX_PENCE)
  perImagingStudyPence!: number;
}

export class AgreementTrustDto {
  @ApiProperty() @IsUUID() trustId!: string;
  @ApiPropertyOptional({ description: 'weight for the fixed split' }) @IsOptional() @IsInt() @Min(0) @Max(1_000_000) weight?: number;
}

export class AgreementDto {
  @ApiProperty({ type: FeeScheduleDto }) @ValidateNested() @Type(() => FeeScheduleDto) fees!: FeeScheduleDto;

  @ApiProperty({ description: "trusts' share of every fee, in basis points (400 = 4%)", example: 400 })
  @IsInt()
  @Min(0)
  @Max(10_000)
  trustShareBps!: number;

  @ApiPropertyOptional({ enum: ['contribution', 'equal', 'fixed'], description: 'default contribution (patients per event)' })
  @IsOptional()
  @IsIn(['contribution', 'equal', 'fixed'])
  splitMethod?: 'contribution' | 'equal' | 'fixed';

  @ApiPropertyOptional({ type: [AgreementTrustDto], description: "default: the project's approving trusts" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => AgreementTrustDto)
  trusts?: AgreementTrustDto[];

  @ApiPropertyOptional({ example: 'GBP', description: 'ISO 4217; fixed for the life of the project' })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/)
  currency?: string;

  @ApiPropertyOptional({ description: 'when these terms start to price events (ISO 8601); default now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  effectiveFrom?: string;
}

export class StatementQueryDto {
  @ApiPropertyOptional({ enum: ['partner', 'trust'] }) @IsOptional() @IsIn(['partner', 'trust']) party?: 'partner' | 'trust';
  @ApiPropertyOptional({ description: 'partner or trust id' }) @IsOptional() @IsUUID() id?: string;
  @ApiPropertyOptional({ description: 'alias of party=trust&id=…' }) @IsOptional() @IsUUID() trustId?: string;
  @ApiPropertyOptional({ description: 'alias of party=partner&id=…' }) @IsOptional() @IsUUID() partnerId?: string;
  @ApiPropertyOptional({ example: '2026-03' }) @IsOptional() @Matches(/^\d{4}-(0[1-9]|1[0-2])$/) period?: string;
  @ApiPropertyOptional({ enum: ['json', 'csv', 'pdf', 'jws'], description: 'with party, id and period: one statement' })
  @IsOptional()
  @IsIn(['json', 'csv', 'pdf', 'jws'])
  format?: 'json' | 'csv' | 'pdf' | 'jws';
}
