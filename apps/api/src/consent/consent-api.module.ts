import { Module } from '@nestjs/common';
import { ConsentModule } from '@harbour/consent';
import { OptOutController } from './opt-out.controller.js';
import { LineageController } from './lineage.controller.js';

@Module({ imports: [ConsentModule], controllers: [OptOutController, LineageController] })
export class ConsentApiModule {}
