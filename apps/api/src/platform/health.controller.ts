import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Db } from '@harbour/persistence';
import { Metrics } from '@harbour/telemetry';
import { Public } from '@harbour/auth';

@ApiTags('platform')
@Controller()
export class HealthController {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(Metrics) private readonly metrics: Metrics,
  ) {}

  @Get('health/live')
  @Public()
  @ApiOperation({ summary: 'Liveness: the process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: the database answers' })
  async ready(@Res() res: Response): Promise<void> {
    try {
      await this.db.dataSource.query('SELECT 1');
      res.status(200).json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'unreachable' });
    }
  }

  @Get('metrics')
  @Public()
  @Header('Content-Type', 'text/plain; version=0.0.4')
  @ApiOperation({ summary: 'Prometheus metrics' })
  async prometheus(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
