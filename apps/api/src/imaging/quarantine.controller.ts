import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseIntPipe,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  DefaultValuePipe,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';
import { DomainError } from '@harbour/errors';
import { QuarantineService, type QuarantineItem } from '@harbour/imaging';
import { QuarantineDecisionDto } from './imaging.dto.js';

/** The guardian's review of quarantined (possible burned-in text) and held (patient unidentified) images of their trust. */
@ApiTags('imaging')
@ApiBearerAuth()
@Controller('imaging/quarantine')
export class QuarantineController {
  constructor(@Inject(QuarantineService) private readonly quarantine: QuarantineService) {}

  @Get()
  @RequirePermission('imaging.quarantine.review')
  @ApiQuery({ name: 'status', enum: ['quarantined', 'held'], required: false })
  @ApiOperation({ summary: "Guardian: the trust's images waiting for review" })
  async list(
    @CurrentPrincipal() p: Principal,
    @Query('status') status?: string,
    @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit = 100,
    @Query('offset', new DefaultValuePipe(0), ParseIntPipe) offset = 0,
  ): Promise<QuarantineItem[]> {
    if (status !== undefined && status !== 'quarantined' && status !== 'held')
      throw new DomainError('validation_failed', 'status must be quarantined or held');
    return this.quarantine.list(p, {
      ...(status ? { status } : {}),
      limit: Math.min(Math.max(limit, 1), 1000),
      offset: Math.max(offset, 0),
    });
  }

  @Post(':id/decision')
  @HttpCode(200)
  @RequirePermission('imaging.quarantine.review')
  @ApiOperation({ summary: 'Guardian: release (becomes retrievable by approved projects) or reject (original deleted)' })
  async decide(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: QuarantineDecisionDto,
  ): Promise<QuarantineItem> {
    return this.quarantine.decide(p, id, { decision: dto.decision, reason: dto.reason });
  }

  @Get(':id/file')
  @RequirePermission('imaging.quarantine.review')
  @ApiProduces('application/dicom')
  @ApiOperation({ summary: 'Guardian: the original file, to review it' })
  async file(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Res() res: Response): Promise<void> {
    const stream = await this.quarantine.original(p, id);
    res.status(200).setHeader('Content-Type', 'application/dicom');
    await pipeline(stream, res);
  }
}
