import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConfigModule } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { JobQueue } from '@harbour/queue';
import { Metrics } from '@harbour/telemetry';
import { OBJECT_STORE } from '@harbour/storage';
export { OBJECT_STORE } from '@harbour/storage';
import type { Runtime } from './runtime.js';

export const LOGGER = Symbol('LOGGER');
export const RUNTIME = Symbol('RUNTIME');

/** Exposes the runtime's shared parts to Nest's container. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(rt: Runtime): DynamicModule {
    return {
      module: PlatformModule,
      imports: [ConfigModule.forRoot(rt.config, rt.keys)],
      providers: [
        { provide: RUNTIME, useValue: rt },
        { provide: DataSource, useValue: rt.dataSource },
        { provide: Db, useValue: rt.db },
        { provide: JobQueue, useValue: rt.queue },
        { provide: Metrics, useValue: rt.metrics },
        { provide: LOGGER, useValue: rt.logger },
        { provide: OBJECT_STORE, useValue: rt.store },
      ],
      exports: [ConfigModule, RUNTIME, DataSource, Db, JobQueue, Metrics, LOGGER, OBJECT_STORE],
    };
  }
}
