import { Module, type DynamicModule } from '@nestjs/common';
import { AccessModule } from '@harbour/access';
import { LedgerModule } from '@harbour/ledger';
import { PersonRepository } from '@harbour/consent';
import { BatchRepository } from '@harbour/ingestion';
import { TrustKeyRing, VaultRepository } from '@harbour/vault';
import { ImagingRepository } from './imaging.repository.js';
import { IMAGING_OBJECT_STORE, ImagingStore } from './storage/imaging-store.js';
import { ImagingIngestService } from './ingest/imaging-ingest.service.js';
import { StowService } from './ingest/stow.service.js';
import { ImagingRetrievalService } from './retrieval/imaging-retrieval.service.js';
import { QuarantineService } from './quarantine/quarantine.service.js';
import { ImagingProjectListener } from './lifecycle/imaging-project.listener.js';

const SERVICES = [ImagingIngestService, StowService, ImagingRetrievalService, QuarantineService];

const registered = new Map<symbol, DynamicModule>();

/**
 * The imaging context for Nest. `register(OBJECT_STORE)` binds the runtime's object store (the
 * lib does not import the runtime, which would be an import cycle through the schema).
 * Needs PlatformModule (Db, config, keys) and AuditModule; brings AccessModule for scopes and the
 * project lifecycle registry, and LedgerModule (retrievals are metered).
 */
@Module({})
export class ImagingModule {
  /**
   * Memoised per token: the API imports it directly and through ComputeModule, and Nest shares a
   * dynamic module only when it is the same object, so there is one instance (one lifecycle
   * listener, one cache purge per project end).
   */
  static register(objectStoreToken: symbol): DynamicModule {
    const known = registered.get(objectStoreToken);
    if (known) return known;
    const module: DynamicModule = {
      module: ImagingModule,
      imports: [AccessModule, LedgerModule],
      providers: [
        { provide: IMAGING_OBJECT_STORE, useExisting: objectStoreToken },
        ImagingRepository,
        ImagingStore,
        TrustKeyRing,
        VaultRepository,
        PersonRepository,
        BatchRepository,
        ImagingProjectListener,
        ...SERVICES,
      ],
      exports: SERVICES,
    };
    registered.set(objectStoreToken, module);
    return module;
  }
}
