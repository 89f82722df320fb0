import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AccessService, REQUEST_STATUSES, type RequestStatus, type RequestView } from '@harbour/access';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';
import { DomainError } from '@harbour/errors';
import { CreateAccessRequestDto, DecisionDto, FeasibilityGrantDto, RevokeDto, UpdateAccessRequestDto } from './access.dto.js';

/** Transport only: DTO in, service call, view out. Rules live in AccessService. */
@ApiTags('access')
@ApiBearerAuth()
@Controller()
export class AccessController {
  constructor(@Inject(AccessService) private readonly access: AccessService) {}

  @Post('access-requests')
  @RequirePermission('access-request.create')
  @ApiOperation({ summary: 'Partner: draft a data access request' })
  async create(@CurrentPrincipal() p: Principal, @Body() dto: CreateAccessRequestDto): Promise<RequestView> {
    return this.access.create(p, {
      title: dto.title,
      purpose: dto.purpose,
      lay_summary: dto.laySummary,
      legal_basis_art6: dto.legalBasisArt6,
      legal_basis_art9: dto.legalBasisArt9,
      commercial_use: dto.commercialUse,
      duo_codes: dto.duoCodes,
      requested_data: { ehrResourceTypes: dto.requestedData.ehrResourceTypes, imagingModalities: dto.requestedData.imagingModalities },
      deidentification: { ehrProfile: dto.deidentification.ehrProfile, dicomOptions: dto.deidentification.dicomOptions },
      requested_duration_days: dto.requestedDurationDays,
      members: dto.members ?? [],
      trustIds: dto.trustIds,
    });
  }

  @Patch('access-requests/:id')
  @RequirePermission('access-request.create')
  @ApiOperation({ summary: 'Partner: edit a draft (or a request returned with changes requested)' })
  async update(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateAccessRequestDto,
  ): Promise<RequestView> {
    return this.access.update(p, id, {
      ...(dto.title !== undefined ? { title: dto.title } : {}),
      ...(dto.purpose !== undefined ? { purpose: dto.purpose } : {}),
      ...(dto.laySummary !== undefined ? { lay_summary: dto.laySummary } : {}),
      ...(dto.commercialUse !== undefined ? { commercial_use: dto.commercialUse } : {}),
      ...(dto.requestedDurationDays !== undefined ? { requested_duration_days: dto.requestedDurationDays } : {}),
      ...(dto.requestedData !== undefined ? { requested_data: { ...dto.requestedData } } : {}),
      ...(dto.trustIds !== undefined ? { trustIds: dto.trustIds } : {}),
    });
  }

  @Post('access-requests/:id/submit')
  @HttpCode(200)
  @RequirePermission('access-request.create')
  @ApiOperation({ summary: 'Partner: submit for review by each requested trust' })
  async submit(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<RequestView> {
    return this.access.submit(p, id);
  }

  @Get('access-requests')
  @RequirePermission('access-request.read')
  @ApiOperation({ summary: 'Requests the caller may see (partner: its own; guardian: its trust; auditor: all)' })
  async list(@CurrentPrincipal() p: Principal, @Query('status') status?: string): Promise<RequestView[]> {
    const statuses = status ? status.split(',') : undefined;
    if (statuses && !statuses.every((s) => (REQUEST_STATUSES as readonly string[]).includes(s))) {
      throw new DomainError('validation_failed', 'unknown status');
    }
    return this.access.list(p, statuses as RequestStatus[] | undefined);
  }

  @Get('access-requests/:id')
  @RequirePermission('access-request.read')
  @ApiOperation({ summary: 'A request with its trusts and every decision' })
  async get(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<RequestView> {
    return this.access.get(p, id);
  }

  @Post('access-requests/:id/decisions')
  @RequirePermission('access-request.approve')
  @ApiOperation({ summary: "Guardian: approve, reject or request changes for the guardian's trust" })
  async decide(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: DecisionDto): Promise<RequestView> {
    return this.access.decide(p, id, {
      decision: dto.decision,
      reason: dto.reason,
      ...(dto.conditions ? { conditions: { ...dto.conditions } } : {}),
      ...(dto.endDate ? { endDate: new Date(dto.endDate) } : {}),
    });
  }

  @Get('projects')
  @RequirePermission('project.read')
  @ApiOperation({ summary: 'Projects (approved requests) the caller may see' })
  async projects(@CurrentPrincipal() p: Principal): Promise<RequestView[]> {
    return this.access.list(p, ['active', 'expired', 'revoked', 'closed']);
  }

  @Get('projects/:id')
  @RequirePermission('project.read')
  @ApiOperation({ summary: 'A project: status (with the reason when it ended), trusts and decisions' })
  async project(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<RequestView> {
    return this.access.get(p, id);
  }

  @Post('projects/:id/revoke')
  @HttpCode(200)
  @RequirePermission('project.revoke')
  @ApiOperation({ summary: "Guardian: revoke the trust's approval now (jobs cancelled, caches purged)" })
  async revoke(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string, @Body() dto: RevokeDto): Promise<RequestView> {
    return this.access.revoke(p, id, dto.reason);
  }

  @Post('projects/:id/close')
  @HttpCode(200)
  @RequirePermission('access-request.create')
  @ApiOperation({ summary: 'Partner: close a project it no longer needs' })
  async close(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<RequestView> {
    return this.access.close(p, id);
  }

  @Post('partners/:partnerId/feasibility-agreement')
  @HttpCode(204)
  @RequirePermission('partner.manage')
  @ApiOperation({ summary: 'Operator: grant a partner a feasibility agreement (counts before approval)' })
  async grantFeasibility(
    @CurrentPrincipal() p: Principal,
    @Param('partnerId', ParseUUIDPipe) partnerId: string,
    @Body() dto: FeasibilityGrantDto,
  ): Promise<void> {
    await this.access.grantFeasibility(p, partnerId, new Date(dto.validUntil));
  }
}
