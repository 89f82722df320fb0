import type { HarbourConfig, KeyMaterial } from '@harbour/config';
import type { Db } from '@harbour/persistence';
import type { ObjectStore } from '@harbour/storage';
import { AuditLog, AuditRepository } from '@harbour/audit';
import { AccessRepository, AccessService, ProjectLifecycleRegistry } from '@harbour/access';
import { createLedger } from '@harbour/ledger';
import { PersonRepository } from '@harbour/consent';
import { BatchRepository } from '@harbour/ingestion';
import { TrustKeyRing, VaultRepository } from '@harbour/vault';
import { ImagingRepository } from './imaging.repository.js';
import { ImagingStore } from './storage/imaging-store.js';
import { ImagingIngestService } from './ingest/imaging-ingest.service.js';
import { ImagingRetrievalService } from './retrieval/imaging-retrieval.service.js';

/**
 * The imaging services wired by hand, for processes without Nest (the CLI and the worker).
 * Pass the runtime (`Runtime` satisfies this shape).
 */
export function createImagingServices(rt: { db: Db; keys: KeyMaterial; config: HarbourConfig; store: ObjectStore }) {
  const { db, keys, config, store } = rt;
  const audit = new AuditLog(db, new AuditRepository(db));
  const keyRing = new TrustKeyRing(db, keys);
  const repo = new ImagingRepository(db);
  const imagingStore = new ImagingStore(store, keyRing);
  const access = new AccessService(db, new AccessRepository(db), audit, new ProjectLifecycleRegistry());
  const ledger = createLedger(db);
  return {
    ingest: new ImagingIngestService(
      db,
      keys,
      keyRing,
      new VaultRepository(db),
      new PersonRepository(db),
      new BatchRepository(db),
      repo,
      imagingStore,
      audit,
    ),
    retrieval: new ImagingRetrievalService(config, keys, db, access, repo, imagingStore, keyRing, audit, ledger.metering),
  };
}
export type ImagingServices = ReturnType<typeof createImagingServices>;
