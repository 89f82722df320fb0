import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';
import { AirlockService, ComputeJobService, type JobView } from '@harbour/compute';
import { SubmitJobDto } from './compute.dto.js';
import { sendOutput } from './send-output.js';

/** Transport only: partners' jobs on a project, and downloads of released outputs. */
@ApiTags('compute')
@ApiBearerAuth()
@Controller('projects/:projectId')
export class JobsController {
  constructor(
    @Inject(ComputeJobService) private readonly jobs: ComputeJobService,
    @Inject(AirlockService) private readonly airlock: AirlockService,
  ) {}

  @Post('jobs')
  @RequirePermission('compute.submit')
  @ApiOperation({ summary: 'Partner: submit a job (code, parameters, output names) to an active project; it is queued' })
  async submit(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Body() dto: SubmitJobDto,
  ): Promise<JobView> {
    return this.jobs.submit(p, projectId, {
      code: dto.code,
      language: dto.language,
      outputs: dto.outputs,
      ...(dto.entry !== undefined ? { entry: dto.entry } : {}),
      ...(dto.params !== undefined ? { params: dto.params } : {}),
    });
  }

  @Get('jobs')
  @RequirePermission('compute.read')
  @ApiOperation({ summary: "The project's jobs (partner: all; guardian: those that could read the trust's data)" })
  async list(@CurrentPrincipal() p: Principal, @Param('projectId', ParseUUIDPipe) projectId: string): Promise<{ items: JobView[] }> {
    return { items: await this.jobs.list(p, projectId) };
  }

  @Get('jobs/:jobId')
  @RequirePermission('compute.read')
  @ApiOperation({ summary: "A job: status, provenance, outputs with their airlock status (the job's error text for guardians only)" })
  async get(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('jobId', ParseUUIDPipe) jobId: string,
  ): Promise<JobView> {
    return this.jobs.get(p, projectId, jobId);
  }

  @Post('jobs/:jobId/cancel')
  @HttpCode(200)
  @RequirePermission('compute.submit')
  @ApiOperation({ summary: 'Partner: cancel a queued or running job' })
  async cancel(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('jobId', ParseUUIDPipe) jobId: string,
  ): Promise<JobView> {
    return this.jobs.cancel(p, projectId, jobId);
  }

  @Get('outputs/:outputId/download')
  @RequirePermission('output.download')
  @ApiProduces('text/csv', 'application/json', 'text/plain', 'image/png')
  @ApiOperation({ summary: 'Partner: download a released output (404 for anything not released)' })
  async download(
    @CurrentPrincipal() p: Principal,
    @Param('projectId', ParseUUIDPipe) projectId: string,
    @Param('outputId', ParseUUIDPipe) outputId: string,
    @Res() res: Response,
  ): Promise<void> {
    sendOutput(res, await this.airlock.download(p, projectId, outputId));
  }
}
