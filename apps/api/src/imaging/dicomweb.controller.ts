import { Controller, Get, Header, Inject, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';
import { assertUid, ImagingRetrievalService, type DicomJsonDataset, type WadoMultipart } from '@harbour/imaging';

const DICOM_JSON = 'application/dicom+json';

/**
 * QIDO-RS (PS3.18 §10.6) and WADO-RS (PS3.18 §10.4) over a project's de-identified images, for
 * the project's partner. Paths follow PS3.18 §10.4.1 / §10.6.1 under `/projects/{id}/dicomweb`;
 * every UID in a path or a response is the project's de-identified UID.
 */
@ApiTags('imaging')
@ApiBearerAuth()
@Controller('projects/:projectId/dicomweb/studies')
export class DicomwebController {
  constructor(@Inject(ImagingRetrievalService) private readonly imaging: ImagingRetrievalService) {}

  @Get()
  @RequirePermission('imaging.read')
  @Header('Content-Type', DICOM_JSON)
  @ApiProduces(DICOM_JSON)
  @ApiOperation({
    summary: 'QIDO-RS: search studies (PatientID = pseudonym, StudyDate range, ModalitiesInStudy, StudyInstanceUID, limit, offset)',
  })
  async studies(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Query() q: Record<string, unknown>,
  ): Promise<DicomJsonDataset[]> {
    return this.imaging.search(p, projectId, 'study', q);
  }

  @Get(':study/series')
  @RequirePermission('imaging.read')
  @Header('Content-Type', DICOM_JSON)
  @ApiProduces(DICOM_JSON)
  @ApiOperation({ summary: "QIDO-RS: search a study's series (Modality, SeriesInstanceUID, limit, offset)" })
  async series(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
    @Query() q: Record<string, unknown>,
  ): Promise<DicomJsonDataset[]> {
    return this.imaging.search(p, projectId, 'series', q, { studyUid: assertUid(study, 'study') });
  }

  @Get(':study/instances')
  @RequirePermission('imaging.read')
  @Header('Content-Type', DICOM_JSON)
  @ApiProduces(DICOM_JSON)
  @ApiOperation({ summary: "QIDO-RS: search a study's instances" })
  async studyInstances(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
    @Query() q: Record<string, unknown>,
  ): Promise<DicomJsonDataset[]> {
    return this.imaging.search(p, projectId, 'instance', q, { studyUid: assertUid(study, 'study') });
  }

  @Get(':study/series/:series/instances')
  @RequirePermission('imaging.read')
  @Header('Content-Type', DICOM_JSON)
  @ApiProduces(DICOM_JSON)
  @ApiOperation({ summary: "QIDO-RS: search a series' instances" })
  async instances(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
    @Param('series') series: string,
    @Query() q: Record<string, unknown>,
  ): Promise<DicomJsonDataset[]> {
    return this.imaging.search(p, projectId, 'instance', q, {
      studyUid: assertUid(study, 'study'),
      seriesUid: assertUid(series, 'series'),
    });
  }

  @Get(':study')
  @RequirePermission('imaging.read')
  @ApiProduces('multipart/related')
  @ApiOperation({ summary: 'WADO-RS: retrieve a study (multipart/related; type="application/dicom")' })
  async retrieveStudy(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
    @Res() res: Response,
  ): Promise<void> {
    await send(res, await this.imaging.retrieve(p, projectId, { studyUid: assertUid(study, 'study') }));
  }

  @Get(':study/metadata')
  @RequirePermission('imaging.read')
  @Header('Content-Type', DICOM_JSON)
  @ApiProduces(DICOM_JSON)
  @ApiOperation({ summary: "WADO-RS: a study's de-identified metadata (DICOM JSON, bulk data left out)" })
  async studyMetadata(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
  ): Promise<DicomJsonDataset[]> {
    return this.imaging.metadata(p, projectId, { studyUid: assertUid(study, 'study') });
  }

  @Get(':study/series/:series')
  @RequirePermission('imaging.read')
  @ApiProduces('multipart/related')
  @ApiOperation({ summary: 'WADO-RS: retrieve a series' })
  async retrieveSeries(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
    @Param('series') series: string,
    @Res() res: Response,
  ): Promise<void> {
    await send(
      res,
      await this.imaging.retrieve(p, projectId, { studyUid: assertUid(study, 'study'), seriesUid: assertUid(series, 'series') }),
    );
  }

  @Get(':study/series/:series/metadata')
  @RequirePermission('imaging.read')
  @Header('Content-Type', DICOM_JSON)
  @ApiProduces(DICOM_JSON)
  @ApiOperation({ summary: "WADO-RS: a series' de-identified metadata" })
  async seriesMetadata(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
    @Param('series') series: string,
  ): Promise<DicomJsonDataset[]> {
    return this.imaging.metadata(p, projectId, { studyUid: assertUid(study, 'study'), seriesUid: assertUid(series, 'series') });
  }

  @Get(':study/series/:series/instances/:instance')
  @RequirePermission('imaging.read')
  @ApiProduces('multipart/related')
  @ApiOperation({ summary: 'WADO-RS: retrieve one instance' })
  async retrieveInstance(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
    @Res() res: Response,
  ): Promise<void> {
    await send(
      res,
      await this.imaging.retrieve(p, projectId, {
        studyUid: assertUid(study, 'study'),
        seriesUid: assertUid(series, 'series'),
        sopUid: assertUid(instance, 'instance'),
      }),
    );
  }

  @Get(':study/series/:series/instances/:instance/metadata')
  @RequirePermission('imaging.read')
  @Header('Content-Type', DICOM_JSON)
  @ApiProduces(DICOM_JSON)
  @ApiOperation({ summary: "WADO-RS: one instance's de-identified metadata" })
  async instanceMetadata(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('study') study: string,
    @Param('series') series: string,
    @Param('instance') instance: string,
  ): Promise<DicomJsonDataset[]> {
    return this.imaging.metadata(p, projectId, {
      studyUid: assertUid(study, 'study'),
      seriesUid: assertUid(series, 'series'),
      sopUid: assertUid(instance, 'instance'),
    });
  }
}

async function send(res: Response, m: WadoMultipart): Promise<void> {
  res.status(200).setHeader('Content-Type', m.contentType);
  await pipeline(Readable.from(m.body), res);
}
