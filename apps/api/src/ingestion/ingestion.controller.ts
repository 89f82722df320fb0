import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Put, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { IsIn } from 'class-validator';
import { IngestionUploadService, type BatchRow } from '@harbour/ingestion';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';

export class OpenBatchDto {
  @ApiProperty({ enum: ['fhir', 'csv'] })
  @IsIn(['fhir', 'csv'])
  kind!: 'fhir' | 'csv';
}

/**
 * Extract uploads by trust systems (role trust-uploader): open a batch, PUT each file as a raw
 * body (streamed and encrypted as it arrives), submit; then poll the batch resource.
 */
@ApiTags('ingestion')
@ApiBearerAuth()
@Controller()
export class IngestionController {
  constructor(@Inject(IngestionUploadService) private readonly uploads: IngestionUploadService) {}

  @Post('trusts/:trustId/ingestion/batches')
  @RequirePermission('ingest.upload')
  @ApiOperation({ summary: 'Open an upload batch for FHIR (NDJSON, Bundles) or CSV files' })
  async open(
    @CurrentPrincipal() p: Principal,
    @Param('trustId', ParseUUIDPipe) trustId: string,
    @Body() dto: OpenBatchDto,
  ): Promise<BatchRow> {
    return this.uploads.open(p, trustId, dto.kind);
  }

  @Put('ingestion/batches/:id/files/*name')
  @RequirePermission('ingest.upload')
  @ApiConsumes('application/octet-stream', 'application/x-ndjson', 'application/fhir+ndjson', 'text/csv')
  @ApiOperation({ summary: 'Upload one file of the batch (raw body; path like Patient.ndjson or extract/Observation.ndjson)' })
  async put(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Req() req: Request,
  ): Promise<{ name: string; bytes: number }> {
    const raw = (req.params as Record<string, string | string[]>)['name'];
    const name = Array.isArray(raw) ? raw.join('/') : (raw ?? '');
    return this.uploads.putFile(p, id, name, req);
  }

  @Post('ingestion/batches/:id/submit')
  @HttpCode(202)
  @RequirePermission('ingest.upload')
  @ApiOperation({ summary: 'Close the batch and queue it for processing' })
  async submit(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<BatchRow> {
    return this.uploads.submit(p, id);
  }

  @Get('ingestion/batches')
  @RequirePermission('ingest.read')
  @ApiOperation({ summary: 'Recent batches the caller may see' })
  async list(@CurrentPrincipal() p: Principal): Promise<BatchRow[]> {
    return this.uploads.list(p);
  }

  @Get('ingestion/batches/:id')
  @RequirePermission('ingest.read')
  @ApiOperation({ summary: 'Batch status with counts' })
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<BatchRow & { files: { name: string; bytes: string }[] }> {
    return this.uploads.get(p, id);
  }

  @Get('ingestion/batches/:id/rejections')
  @RequirePermission('ingest.read')
  @ApiOperation({ summary: 'Rejected records: file, 1-based line, reason code (never content)' })
  async rejections(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<{ file: string; line: number; code: string; message: string }[]> {
    return this.uploads.rejections(p, id);
  }
}
