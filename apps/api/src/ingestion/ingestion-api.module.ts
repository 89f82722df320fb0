import { Module } from '@nestjs/common';
import { IngestionModule } from '@harbour/ingestion';
import { IngestionController } from './ingestion.controller.js';

@Module({ imports: [IngestionModule], controllers: [IngestionController] })
export class IngestionApiModule {}
