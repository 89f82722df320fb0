import { Body, Controller, HttpCode, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsArray,
  IsDefined,
  IsIn,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  ArrayMaxSize,
} from 'class-validator';
import { ProjectQueryService } from '@harbour/access';
import type { AggregateResult, FeasibilityResult } from '@harbour/query';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';

export class StatisticDto {
  @ApiProperty({ example: '4548-4' }) @IsString() @MaxLength(64) observationCode!: string;
  @ApiProperty({ example: 'http://loinc.org' }) @IsString() @MaxLength(200) codeSystem!: string;
  @ApiPropertyOptional({ example: '%' }) @IsOptional() @IsString() @MaxLength(32) unit?: string;
}

export class CodeBreakdownDto {
  @ApiProperty({ enum: ['condition', 'observation', 'medication', 'procedure', 'encounter', 'imaging'] })
  @IsIn(['condition', 'observation', 'medication', 'procedure', 'encounter', 'imaging'])
  kind!: 'condition' | 'observation' | 'medication' | 'procedure' | 'encounter' | 'imaging';
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) system?: string;
  @ApiPropertyOptional()
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  codes?: string[];
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(1) @Max(100) limit?: number;
}

export class FeasibilityDto {
  @ApiProperty({
    description: 'cohort definition (see libs/query/README.md); validated strictly',
    type: 'object',
    additionalProperties: true,
  })
  @IsDefined()
  @IsObject()
  cohort!: Record<string, unknown>;
}

export class AggregateDto extends FeasibilityDto {
  @ApiPropertyOptional({ enum: ['trust', 'sex', 'ageBand', 'code'], isArray: true })
  @IsOptional()
  @IsArray()
  @IsIn(['trust', 'sex', 'ageBand', 'code'], { each: true })
  breakdowns?: ('trust' | 'sex' | 'ageBand' | 'code')[];

  @ApiPropertyOptional({ type: CodeBreakdownDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CodeBreakdownDto)
  codeBreakdown?: CodeBreakdownDto;
  @ApiPropertyOptional({ type: StatisticDto }) @IsOptional() @ValidateNested() @Type(() => StatisticDto) statistic?: StatisticDto;

  @ApiPropertyOptional({ description: 'charge the project privacy budget this epsilon and add calibrated noise' })
  @IsOptional()
  @IsNumber()
  @Min(0.01)
  @Max(10)
  epsilon?: number;
}

/** Aggregate questions under disclosure control. Record-level data is never returned. */
@ApiTags('queries')
@ApiBearerAuth()
@Controller()
export class QueryController {
  constructor(@Inject(ProjectQueryService) private readonly queries: ProjectQueryService) {}

  @Post('projects/:id/queries/aggregate')
  @HttpCode(200)
  @RequirePermission('query.run')
  @ApiOperation({ summary: 'Counts of a cohort by trust, sex, age band or code, and statistics, for an active project' })
  async aggregate(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: AggregateDto,
  ): Promise<AggregateResult> {
    return this.queries.aggregate(p, id, {
      cohort: dto.cohort,
      ...(dto.breakdowns ? { breakdowns: dto.breakdowns } : {}),
      ...(dto.codeBreakdown ? { codeBreakdown: { ...dto.codeBreakdown } } : {}),
      ...(dto.statistic ? { statistic: { ...dto.statistic } } : {}),
      ...(dto.epsilon !== undefined ? { epsilon: dto.epsilon } : {}),
    });
  }

  @Post('queries/feasibility')
  @HttpCode(200)
  @RequirePermission('query.feasibility')
  @ApiOperation({ summary: 'Feasibility count before approval (partners with a feasibility agreement)' })
  async feasibility(@CurrentPrincipal() p: Principal, @Body() dto: FeasibilityDto): Promise<FeasibilityResult> {
    return this.queries.feasibility(p, dto.cohort);
  }
}
