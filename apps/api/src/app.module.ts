import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PlatformModule, type Runtime } from '@harbour/runtime';
import { HttpExceptionFilter } from '@harbour/errors';
import { AuthGuard, AuthModule } from '@harbour/auth';
import { AuditModule } from '@harbour/audit';
import { IdentityApiModule } from './identity/identity.module.js';
import { AuditApiModule } from './audit/audit-api.module.js';
import { HealthController } from './platform/health.controller.js';
import { ImagingApiModule } from './imaging/imaging-api.module.js';
import { ConsoleModule } from './console/console.module.js';
import { AccessApiModule } from './access/access-api.module.js';
import { ConsentApiModule } from './consent/consent-api.module.js';
import { IngestionApiModule } from './ingestion/ingestion-api.module.js';
import { LedgerApiModule } from './ledger/ledger-api.module.js';
import { ComplianceApiModule } from './compliance/compliance-api.module.js';
import { ComputeApiModule } from './compute/compute-api.module.js';

/** The HTTP API: composes the domain modules; holds no domain logic itself. */
@Module({})
export class ApiModule {
  static forRoot(rt: Runtime): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        PlatformModule.forRoot(rt),
        AuditModule,
        AuthModule,
        IdentityApiModule,
        AuditApiModule,
        ConsoleModule,
        ImagingApiModule,
        AccessApiModule,
        ConsentApiModule,
        IngestionApiModule,
        ComputeApiModule,
        LedgerApiModule,
        ComplianceApiModule,
      ],
      controllers: [HealthController],
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
