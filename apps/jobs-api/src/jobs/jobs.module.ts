import { Module } from '@nestjs/common';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CacheService } from 'nestjs-tiered-cache';
import { CachedRepository } from 'nestjs-tiered-cache/typeorm';
import { APP_CONFIG } from '../config/config.constants.js';
import type { AppConfig } from '../config/app-config.types.js';
import { type JobResponse, toJobResponse } from './dto/job.response.js';
import { JOB_REPOSITORY, JobCachePolicy } from './job-cache-policy.js';
import { JobEntity } from './job.entity.js';
import { JobEvents } from './job-events.js';
import { JobEventsController } from './job-events.controller.js';
import { JobStreamSlots } from './job-stream-slots.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

/**
 * Jobs: HTTP contract, persistence, and cache-aside reads and writes through the library's
 * `CachedRepository` over `CacheService` (which also owns the soft load bound and, while migrating, the
 * legacy column: both are cache module options); each job's versions pushed as Server-Sent Events from the
 * library's change feed.
 */
@Module({
  imports: [TypeOrmModule.forFeature([JobEntity])],
  controllers: [JobsController, JobEventsController],
  providers: [
    JobsService,
    JobEvents,
    JobStreamSlots,
    {
      provide: JOB_REPOSITORY,
      inject: [getRepositoryToken(JobEntity), CacheService, APP_CONFIG],
      useFactory: (repository: Repository<JobEntity>, cache: CacheService, config: AppConfig) =>
        new CachedRepository<JobEntity, JobResponse>(repository, cache, {
          namespace: JobCachePolicy.jobNamespace,
          versionProperty: 'version',
          toCached: toJobResponse,
          ttl: JobCachePolicy.ttl(config.cache.ttlSeconds),
          negativeTtlSeconds: config.cache.negativeTtlSeconds,
          invalidates: (job) => [JobCachePolicy.clientTag(job.clientId), JobCachePolicy.allJobsTag],
        }),
    },
  ],
  exports: [JobStreamSlots],
})
export class JobsModule {}
