import { Module } from '@nestjs/common';
import { ComplianceModule } from '@harbour/compliance';
import { ComplianceController } from './compliance.controller.js';

/** HTTP delivery of compliance packs (auditors). */
@Module({ imports: [ComplianceModule], controllers: [ComplianceController] })
export class ComplianceApiModule {}
