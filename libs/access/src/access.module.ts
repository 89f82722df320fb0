import { Global, Module } from '@nestjs/common';
import { QueryModule } from '@harbour/query';
import { LedgerModule } from '@harbour/ledger';
import { AccessRepository } from './access.repository.js';
import { AccessService } from './access.service.js';
import { ProjectLifecycleRegistry } from './project-lifecycle.js';
import { ProjectQueryService } from './project-query.service.js';

/** Global: queries, compute and imaging all ask AccessService for a project's scope. */
@Global()
@Module({
  imports: [QueryModule, LedgerModule],
  providers: [AccessRepository, AccessService, ProjectLifecycleRegistry, ProjectQueryService],
  exports: [AccessService, ProjectLifecycleRegistry, AccessRepository, ProjectQueryService],
})
export class AccessModule {}
