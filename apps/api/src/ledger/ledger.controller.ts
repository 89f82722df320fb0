import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Put, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, RequirePermission, type Principal } from '@harbour/auth';
import { LedgerGatewayService, type StatementSummary } from '@harbour/compliance';
import type { ClosedPeriod, CommercialAgreement, PeriodRow, ReconciliationReport, Statement } from '@harbour/ledger';
import { AgreementDto, StatementQueryDto } from './ledger.dto.js';

@ApiTags('ledger')
@ApiBearerAuth()
@Controller()
export class LedgerController {
  constructor(@Inject(LedgerGatewayService) private readonly ledger: LedgerGatewayService) {}

  @Put('projects/:id/agreement')
  @RequirePermission('ledger.manage')
  @ApiOperation({ summary: "Set a project's commercial agreement (fees in pence, trusts' share); each call is a new version" })
  async setAgreement(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() b: AgreementDto,
  ): Promise<CommercialAgreement> {
    return this.ledger.setAgreement(p, id, {
      fees: { ...b.fees },
      trustShareBps: b.trustShareBps,
      ...(b.splitMethod ? { splitMethod: b.splitMethod } : {}),
      ...(b.trusts
        ? { trusts: b.trusts.map((t) => ({ trustId: t.trustId, ...(t.weight !== undefined ? { weight: t.weight } : {}) })) }
        : {}),
      ...(b.currency ? { currency: b.currency } : {}),
      ...(b.effectiveFrom ? { effectiveFrom: new Date(b.effectiveFrom) } : {}),
    });
  }

  @Get('projects/:id/agreement')
  @RequirePermission('ledger.read')
  @ApiOperation({ summary: "The project's agreement in effect now" })
  async getAgreement(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<CommercialAgreement> {
    return this.ledger.getAgreement(p, id);
  }

  @Get('ledger/periods')
  @RequirePermission('ledger.read')
  @ApiOperation({ summary: 'Accounting periods (UTC months) and their status' })
  async periods(): Promise<{ items: PeriodRow[] }> {
    return { items: await this.ledger.listPeriods() };
  }

  @Get('ledger/statements')
  @RequirePermission('ledger.read')
  @ApiProduces('application/json', 'text/csv', 'application/pdf', 'application/jose')
  @ApiOperation({
    summary:
      'Statements. With party, id and period: that statement as json, csv, pdf or jws (signed by the station key). Otherwise: the totals of every statement the caller may see',
  })
  async statements(
    @CurrentPrincipal() p: Principal,
    @Query() q: StatementQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<{ items: StatementSummary[] } | { statement: Statement; events: { rows: number; sha256: string } } | StreamableFile> {
    const party = q.party ?? (q.trustId ? 'trust' : q.partnerId ? 'partner' : undefined);
    const id = q.id ?? q.trustId ?? q.partnerId;
    if (!party || !id || !q.period) {
      return this.ledger.listStatements(p, {
        ...(party ? { party } : {}),
        ...(id ? { id } : {}),
        ...(q.period ? { period: q.period } : {}),
      });
    }
    const doc = await this.ledger.statement(p, { party, id, period: q.period, format: q.format ?? 'json' });
    if (doc.format === 'json') return doc.body;
    res.setHeader('Cache-Control', 'no-store');
    return new StreamableFile(doc.data, { type: doc.contentType, disposition: `attachment; filename="${doc.filename}"` });
  }

  @Post('ledger/periods/:period/close')
  @HttpCode(200)
  @RequirePermission('ledger.manage')
  @ApiOperation({ summary: "Close a period after it ends: meter each project's fixed fee once, then refuse postings dated in it" })
  async close(@CurrentPrincipal() p: Principal, @Param('period') period: string): Promise<ClosedPeriod & { periodFees: number }> {
    return this.ledger.closePeriod(p, period);
  }

  @Get('ledger/periods/:period/reconciliation')
  @RequirePermission('ledger.read')
  @ApiOperation({ summary: 'Reconcile a period from the raw rows (auditors and operators)' })
  async reconcile(@CurrentPrincipal() p: Principal, @Param('period') period: string): Promise<ReconciliationReport> {
    return this.ledger.reconcile(p, period);
  }
}
