import { Controller, Get, Inject, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import type { Response } from 'express';
import { CurrentPrincipal, RequirePermission, actorOf, type Principal } from '@harbour/auth';
import { ComplianceReportService, zipStored } from '@harbour/compliance';

export class ComplianceReportQueryDto {
  @ApiProperty({ description: 'start of the period (ISO 8601, inclusive)' }) @IsISO8601({ strict: true }) from!: string;
  @ApiProperty({ description: 'end of the period (ISO 8601, exclusive)' }) @IsISO8601({ strict: true }) to!: string;
}

@ApiTags('compliance')
@ApiBearerAuth()
@Controller('compliance')
export class ComplianceController {
  constructor(@Inject(ComplianceReportService) private readonly reports: ComplianceReportService) {}

  @Get('report')
  @RequirePermission('compliance.report')
  @ApiProduces('application/zip')
  @ApiOperation({
    summary:
      'The compliance pack of a period as a ZIP (stored): records of processing, accesses, decisions, opt-out check, audit trail, budgets, SDC, airlock, revenue; signed manifest, verify with `harbour audit verify`',
  })
  async report(
    @CurrentPrincipal() p: Principal,
    @Query() q: ComplianceReportQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const { files } = await this.reports.buildPack({ from: new Date(q.from), to: new Date(q.to) }, actorOf(p));
    const name = `harbour-compliance-${q.from.slice(0, 10)}-to-${q.to.slice(0, 10)}.zip`;
    res.setHeader('Cache-Control', 'no-store');
    return new StreamableFile(zipStored(files), { type: 'application/zip', disposition: `attachment; filename="${name}"` });
  }
}
