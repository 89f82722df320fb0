import { Module } from '@nestjs/common';
import { TrustKeyRing, VaultRepository } from '@harbour/vault';
import { BatchRepository } from './batch.repository.js';
import { EhrIngestionService } from './ehr-ingestion.service.js';
import { IngestionUploadService } from './upload.service.js';

@Module({
  providers: [BatchRepository, EhrIngestionService, IngestionUploadService, TrustKeyRing, VaultRepository],
  exports: [BatchRepository, EhrIngestionService, IngestionUploadService],
})
export class IngestionModule {}
