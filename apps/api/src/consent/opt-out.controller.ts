import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { OptOutService, type OptOutListRow } from '@harbour/consent';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';
import { DomainError } from '@harbour/errors';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';

export class OptOutJsonDto {
  @ApiPropertyOptional({ description: 'NHS numbers, one per line (JSON form of the upload)' })
  @IsString()
  @MaxLength(50_000_000)
  numbers!: string;

  @ApiPropertyOptional({ enum: ['ndop', 'type1'] })
  @IsOptional()
  @IsIn(['ndop', 'type1'])
  kind?: 'ndop' | 'type1';
}

/** Opt-out lists: a trust uploads the whole current list; each upload is a new version. */
@ApiTags('consent')
@ApiBearerAuth()
@Controller('trusts/:trustId/opt-outs')
export class OptOutController {
  constructor(@Inject(OptOutService) private readonly optOuts: OptOutService) {}

  @Post()
  @RequirePermission('optout.manage')
  @ApiConsumes('text/plain', 'text/csv', 'application/json')
  @ApiQuery({ name: 'kind', enum: ['ndop', 'type1'], required: false })
  @ApiOperation({ summary: 'Replace the trust opt-out list (National Data Opt-out or type 1); takes effect at once' })
  async upload(
    @CurrentPrincipal() p: Principal,
    @Param('trustId', ParseUUIDPipe) trustId: string,
    @Req() req: Request,
    @Body() body: unknown,
    @Query('kind') kindQuery?: string,
  ): Promise<OptOutListRow & { removedFromResearch: number }> {
    let text: string;
    let kind = kindQuery ?? 'ndop';
    if (typeof body === 'string') text = body;
    else if (body && typeof body === 'object' && typeof (body as OptOutJsonDto).numbers === 'string') {
      text = (body as OptOutJsonDto).numbers;
      kind = (body as OptOutJsonDto).kind ?? kind;
    } else if (req.is('text/*')) text = '';
    else throw new DomainError('validation_failed', 'send the list as text/plain, text/csv or JSON { numbers }');
    if (kind !== 'ndop' && kind !== 'type1') throw new DomainError('validation_failed', 'kind must be ndop or type1');
    return this.optOuts.upload(p, trustId, kind, text);
  }

  @Get()
  @RequirePermission('optout.manage')
  @ApiOperation({ summary: 'History of the trust opt-out list uploads (versions and counts)' })
  async history(@CurrentPrincipal() p: Principal, @Param('trustId', ParseUUIDPipe) trustId: string): Promise<OptOutListRow[]> {
    return this.optOuts.history(p, trustId);
  }
}
