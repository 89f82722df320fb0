import { Module } from '@nestjs/common';
import { OBJECT_STORE } from '@harbour/runtime';
import { ComputeModule } from '@harbour/compute';
import { JobsController } from './jobs.controller.js';
import { AirlockController } from './airlock.controller.js';

/** HTTP delivery of the compute context: jobs per project, the airlock, downloads of released outputs. */
@Module({
  imports: [ComputeModule.register(OBJECT_STORE)],
  controllers: [JobsController, AirlockController],
})
export class ComputeApiModule {}
