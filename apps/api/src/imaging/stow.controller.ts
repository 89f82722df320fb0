import { Controller, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';
import { assertUid, StowService, toNativeDicomXml, type StowResult } from '@harbour/imaging';

/**
 * STOW-RS (PS3.18 §10.5) for trust systems: `POST /dicomweb/studies[/{study}]` with
 * `multipart/related; type="application/dicom"`. The body is handed to the service as a stream.
 * The response is the Store Instances Response (§10.5.3) as `application/dicom+json`, or
 * `application/dicom+xml` (PS3.19 Native DICOM Model) when the client accepts only that.
 */
@ApiTags('imaging')
@ApiBearerAuth()
@Controller('dicomweb/studies')
export class StowController {
  constructor(@Inject(StowService) private readonly stow: StowService) {}

  @Post()
  @RequirePermission('imaging.upload')
  @ApiConsumes('multipart/related')
  @ApiProduces('application/dicom+json', 'application/dicom+xml')
  @ApiOperation({ summary: 'Trust uploader: store DICOM instances (STOW-RS); idempotent per SOP Instance UID' })
  async store(@CurrentPrincipal() p: Principal, @Req() req: Request, @Res() res: Response): Promise<void> {
    send(req, res, await this.stow.store(p, req.headers['content-type'], req));
  }

  @Post(':study')
  @RequirePermission('imaging.upload')
  @ApiConsumes('multipart/related')
  @ApiProduces('application/dicom+json', 'application/dicom+xml')
  @ApiOperation({ summary: 'Trust uploader: store DICOM instances of one study (STOW-RS); others fail with A900' })
  async storeStudy(
    @CurrentPrincipal() p: Principal,
    @Param('study') study: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    send(req, res, await this.stow.store(p, req.headers['content-type'], req, assertUid(study, 'study')));
  }
}

function send(req: Request, res: Response, r: StowResult): void {
  res.setHeader('X-Harbour-Batch', r.batchId);
  // PS3.18 §8.7.3.5: JSON unless the client accepts XML and not JSON.
  const xml = req.accepts(['application/dicom+json', 'application/json', 'application/dicom+xml']) === 'application/dicom+xml';
  if (xml) res.status(r.httpStatus).type('application/dicom+xml').send(toNativeDicomXml(r.response));
  else res.status(r.httpStatus).type('application/dicom+json').send(JSON.stringify(r.response));
}
