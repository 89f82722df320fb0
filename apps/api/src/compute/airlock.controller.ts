import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';
import { AirlockService, OUTPUT_STATUSES, type AirlockOutputView } from '@harbour/compute';
import { ReviewDto } from './compute.dto.js';
import { sendOutput } from './send-output.js';

/** Transport only: the guardians' airlock review of job outputs. */
@ApiTags('airlock')
@ApiBearerAuth()
@Controller('airlock/outputs')
export class AirlockController {
  constructor(@Inject(AirlockService) private readonly airlock: AirlockService) {}

  @Get()
  @RequirePermission('airlock.review')
  @ApiQuery({ name: 'status', enum: OUTPUT_STATUSES, required: false })
  @ApiOperation({ summary: "Guardian: outputs that used the trust's data (`pending`: those awaiting your review)" })
  async list(@CurrentPrincipal() p: Principal, @Query('status') status?: string): Promise<{ items: AirlockOutputView[] }> {
    return { items: await this.airlock.list(p, status) };
  }

  @Get(':id')
  @RequirePermission('airlock.review')
  @ApiOperation({ summary: 'Guardian: an output with its automatic findings, reviews and approvals per trust' })
  async get(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<AirlockOutputView> {
    return this.airlock.get(p, id);
  }

  @Get(':id/content')
  @RequirePermission('compute.read')
  @ApiProduces('text/csv', 'application/json', 'text/plain', 'image/png')
  @ApiOperation({ summary: "The output's bytes: a reviewing guardian's preview, or the partner's download once released (404 otherwise)" })
  async content(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Res() res: Response): Promise<void> {
    sendOutput(res, await this.airlock.content(p, id));
  }

  @Post(':id/reviews')
  @RequirePermission('airlock.review')
  @ApiOperation({ summary: "Guardian: approve or reject the output for the trust (bound to the output's sha-256)" })
  async review(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ReviewDto,
  ): Promise<AirlockOutputView> {
    return this.airlock.review(p, id, {
      decision: dto.decision,
      reason: dto.reason,
      ...(dto.sha256 !== undefined ? { sha256: dto.sha256 } : {}),
    });
  }
}
