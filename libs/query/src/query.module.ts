import { Module } from '@nestjs/common';
import { QueryRepository } from './query.repository.js';
import { QueryService } from './query.service.js';

/** Cohort queries; needs `Db` from the (global) PlatformModule. */
@Module({ providers: [QueryRepository, QueryService], exports: [QueryService] })
export class QueryModule {}
