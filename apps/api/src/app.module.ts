import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PlatformModule, type Runtime } from '@harbour/runtime';
import { HttpExceptionFilter } from '@harbour/errors';
import { AuthGuard } from '@harbour/auth';
import { HealthController } from './platform/health.controller.js';

/** The HTTP API: composes the domain modules; holds no domain logic itself. */
@Module({})
export class ApiModule {
  static forRoot(rt: Runtime): DynamicModule {
    return {
      module: ApiModule,
      imports: [PlatformModule.forRoot(rt)],
      controllers: [HealthController],
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}
