import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Runtime } from '@harbour/runtime';
import { AuditModule } from '@harbour/audit';
import { AccessModule } from '@harbour/access';
import { ConsentModule } from '@harbour/consent';
import { IngestionModule } from '@harbour/ingestion';
import { ComputeModule } from '@harbour/compute';
import { OBJECT_STORE } from '@harbour/storage';

/** The worker's dependency graph: the same domain modules as the API, without HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(rt: Runtime): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot(rt),
        AuditModule,
        ConsentModule,
        AccessModule,
        IngestionModule,
        ComputeModule.register(OBJECT_STORE),
      ],
    };
  }
}
