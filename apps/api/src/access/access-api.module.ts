import { Module } from '@nestjs/common';
import { AccessModule } from '@harbour/access';
import { AccessController } from './access.controller.js';
import { QueryController } from './query.controller.js';

@Module({ imports: [AccessModule], controllers: [AccessController, QueryController] })
export class AccessApiModule {}
