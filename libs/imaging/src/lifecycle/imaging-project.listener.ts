import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { AuditLog, SYSTEM_ACTOR } from '@harbour/audit';
import { ProjectLifecycleRegistry, type ProjectEnded, type ProjectLifecycleListener } from '@harbour/access';
import { ImagingRepository } from '../imaging.repository.js';
import { ImagingStore } from '../storage/imaging-store.js';

/**
 * When a project (or one trust's part of it) ends, forget its de-identified imaging view and
 * delete its cache. Runs inside the transaction that ends the grant (the view rows and the audit
 * entry commit with it); the cache objects are deleted at once (a rollback only leaves a colder
 * cache). Retrieval is refused by `activeScope` from that moment anyway.
 */
@Injectable()
export class ImagingProjectListener implements ProjectLifecycleListener, OnModuleInit {
  constructor(
    @Inject(ProjectLifecycleRegistry) private readonly registry: ProjectLifecycleRegistry,
    @Inject(ImagingRepository) private readonly repo: ImagingRepository,
    @Inject(ImagingStore) private readonly store: ImagingStore,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async onProjectEnded(e: ProjectEnded): Promise<void> {
    const trustIds = e.projectEnded ? undefined : e.trustIds;
    const viewRows = await this.repo.deleteProjectInstances(e.projectId, trustIds);
    await this.store.purgeProject(e.projectId, trustIds);
    await this.audit.append({
      action: 'imaging.project_cache_purged',
      actor: SYSTEM_ACTOR,
      target: { type: 'project', id: e.projectId },
      projectId: e.projectId,
      payload: { trustIds: [...e.trustIds], projectEnded: e.projectEnded, reason: e.reason, viewRows },
    });
  }
}
