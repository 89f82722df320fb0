import { Global, Module } from '@nestjs/common';
import { ResearchRepository } from '@harbour/research';
import { OptOutRepository } from './opt-out.repository.js';
import { OptOutService } from './opt-out.service.js';
import { LineageService } from './lineage.service.js';
import { PersonRepository } from './person.repository.js';
import { StudyConsentRepository } from './study-consent.repository.js';

@Global()
@Module({
  providers: [OptOutRepository, OptOutService, LineageService, PersonRepository, StudyConsentRepository, ResearchRepository],
  exports: [OptOutService, LineageService, OptOutRepository, PersonRepository, StudyConsentRepository, ResearchRepository],
})
export class ConsentModule {}
