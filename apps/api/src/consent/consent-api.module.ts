import { Module } from '@nestjs/common';
import { ConsentModule } from '@harbour/consent';
import { OptOutController } from './opt-out.controller.js';

@Module({ imports: [ConsentModule], controllers: [OptOutController] })
export class ConsentApiModule {}
