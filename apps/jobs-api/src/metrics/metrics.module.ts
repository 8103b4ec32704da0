import { Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { CacheService, type MigratingCache, RedisCacheMetrics } from '@app/redis-cache';
import { registerMigrationMetrics } from '@app/redis-cache/migration';
import { JOB_PROGRESS_MIGRATION } from '../legacy-cache/legacy-cache.constants.js';
import { METRICS_REGISTRY, MIGRATION_METRICS } from './metrics.constants.js';
import { MetricsController } from './metrics.controller.js';

/**
 * Prometheus metrics of the service: the cache library's exporter on an app-owned registry, plus the
 * `redis_cache_migration_*` series while a namespace migrates off its legacy cache.
 */
@Module({
  controllers: [MetricsController],
  providers: [
    { provide: METRICS_REGISTRY, useFactory: () => new Registry() },
    {
      provide: RedisCacheMetrics,
      inject: [CacheService, METRICS_REGISTRY],
      useFactory: (cache: CacheService, registry: Registry) => RedisCacheMetrics.register(cache, { registry }),
    },
    {
      provide: MIGRATION_METRICS,
      inject: [METRICS_REGISTRY, JOB_PROGRESS_MIGRATION],
      useFactory: (registry: Registry, migration: MigratingCache<unknown> | null): boolean => {
        // Only while migrating: an idle migration would only add empty series to every scrape.
        if (migration === null) return false;
        registerMigrationMetrics(registry, [migration]);
        return true;
      },
    },
  ],
})
export class MetricsModule {}
