import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { AccessModule } from '@harbour/access';
import { LedgerModule } from '@harbour/ledger';
import { ImagingModule } from '@harbour/imaging';
import { TrustKeyRing } from '@harbour/vault';
import { AirlockService } from '../airlock/airlock.service.js';
import { ComputeRepository } from './compute.repository.js';
import { ProjectDataRepository } from './project-data.repository.js';
import { ComputeJobService } from './compute-job.service.js';
import { ComputeJobRunner } from './compute-job.runner.js';
import { ComputeMetering } from './compute-metering.js';
import { COMPUTE_OBJECT_STORE, COMPUTE_OPTIONS, type ComputeOptions } from './compute-tokens.js';

const SERVICES = [ComputeJobService, ComputeJobRunner, AirlockService];

/**
 * The compute context for Nest: jobs, their runner and sweeper, the airlock. `register(OBJECT_STORE)`
 * binds the runtime's object store (as `ImagingModule` does). Needs PlatformModule (Db, config,
 * keys, queue), AuditModule and ConsentModule (opt-out list versions); brings AccessModule and
 * LedgerModule (runs and released outputs are metered).
 */
@Module({})
export class ComputeModule {
  static register(objectStoreToken: symbol, options?: Partial<ComputeOptions>): DynamicModule {
    const providers: Provider[] = [
      { provide: COMPUTE_OBJECT_STORE, useExisting: objectStoreToken },
      ComputeRepository,
      ProjectDataRepository,
      TrustKeyRing,
      ComputeMetering,
      ...SERVICES,
    ];
    if (options) providers.push({ provide: COMPUTE_OPTIONS, useValue: options });
    return {
      module: ComputeModule,
      imports: [AccessModule, LedgerModule, ImagingModule.register(objectStoreToken)],
      providers,
      exports: SERVICES,
    };
  }
}
