export * from './entities/batch.entity.js';
export * from './entities/rejection.entity.js';
import { IngestionBatch } from './entities/batch.entity.js';
import { IngestionRejection } from './entities/rejection.entity.js';
export const INGESTION_ENTITIES = [IngestionBatch, IngestionRejection];
