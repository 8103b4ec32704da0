import { Module } from '@nestjs/common';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { CachedRepository, CacheService, type MigratingCache } from '@app/redis-cache';
import { APP_CONFIG } from '../config/config.constants.js';
import type { AppConfig } from '../config/app-config.types.js';
import { JOB_PROGRESS_MIGRATION } from '../legacy-cache/legacy-cache.constants.js';
import { type JobResponse, toJobResponse } from './dto/job.response.js';
import { JobEntryCache } from './job-entry-cache.js';
import { JOB_REPOSITORY, JobCachePolicy } from './job-cache-policy.js';
import { JobEntity } from './job.entity.js';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

/**
 * Jobs: HTTP contract, persistence, cache-aside reads through the library's `CachedRepository`, whose cache
 * is `CacheService` behind a {@link JobEntryCache} (soft load timeout; the legacy column while migrating).
 */
@Module({
  imports: [TypeOrmModule.forFeature([JobEntity])],
  controllers: [JobsController],
  providers: [
    JobsService,
    {
      provide: JOB_REPOSITORY,
      inject: [getRepositoryToken(JobEntity), CacheService, APP_CONFIG, JOB_PROGRESS_MIGRATION],
      useFactory: (repository: Repository<JobEntity>, cache: CacheService, config: AppConfig, migration: MigratingCache<JobResponse> | null) =>
        new CachedRepository(repository, new JobEntryCache(cache, { migration, loadTimeoutMs: config.cache.loadTimeoutMs }), {
          namespace: JobCachePolicy.jobNamespace,
          versionProperty: 'version',
          toCached: toJobResponse,
          ttl: JobCachePolicy.ttl(config.cache.ttlSeconds),
          negativeTtlSeconds: config.cache.negativeTtlSeconds,
          invalidates: (job) => [JobCachePolicy.clientTag(job.clientId), JobCachePolicy.allJobsTag],
        }),
    },
  ],
})
export class JobsModule {}
