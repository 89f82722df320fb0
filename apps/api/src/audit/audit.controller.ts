import { Controller, Get, Inject, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditTrailService, type AuditPage, type CheckpointRecord, type TrailVerification } from '@harbour/audit';
import { CurrentPrincipal, RequirePermission, actorOf, type Principal } from '@harbour/auth';
import { AuditSearchQueryDto } from './audit.dto.js';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(@Inject(AuditTrailService) private readonly trail: AuditTrailService) {}

  @Get('entries')
  @RequirePermission('audit.read')
  @ApiOperation({ summary: 'Search the audit trail, newest first, paged with an opaque cursor' })
  async search(@Query() q: AuditSearchQueryDto): Promise<AuditPage> {
    return this.trail.search({
      ...(q.from ? { from: new Date(q.from) } : {}),
      ...(q.to ? { to: new Date(q.to) } : {}),
      ...(q.actor ? { actorId: q.actor } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.project ? { projectId: q.project } : {}),
      ...(q.trust ? { trustId: q.trust } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
      limit: q.limit ?? 100,
    });
  }

  @Get('verify')
  @RequirePermission('audit.read')
  @ApiOperation({ summary: 'Verify the live trail: every hash link, checkpoint signature and the chain head' })
  async verify(@CurrentPrincipal() p: Principal): Promise<TrailVerification> {
    return this.trail.verifyLive(actorOf(p));
  }

  @Post('checkpoints')
  @RequirePermission('audit.checkpoint')
  @ApiOperation({ summary: 'Sign a checkpoint of the current chain head now' })
  async checkpoint(): Promise<{ checkpoint: CheckpointRecord | null }> {
    return { checkpoint: await this.trail.createCheckpoint() };
  }
}
