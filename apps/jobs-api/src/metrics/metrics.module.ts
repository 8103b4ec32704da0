import { Module } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { CacheService } from 'nestjs-tiered-cache';
import { RedisCacheMetrics } from 'nestjs-tiered-cache/metrics';
import { type MigratingCache, registerMigrationMetrics } from 'nestjs-tiered-cache/migration';
import { JobStreamSlots } from '../jobs/job-stream-slots.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { JOB_PROGRESS_MIGRATION } from '../legacy-cache/legacy-cache.constants.js';
import { METRICS_REGISTRY, MIGRATION_METRICS, STREAM_METRICS } from './metrics.constants.js';
import { MetricsController } from './metrics.controller.js';

/**
 * Prometheus metrics of the service on an app-owned registry: Node's process metrics, the HTTP histogram
 * (`http-metrics.ts`, fed by a Fastify hook), the cache library's exporter, and the `redis_cache_migration_*`
 * series while a namespace migrates off its legacy cache, and `jobs_api_event_streams_open`.
 */
@Module({
  imports: [JobsModule],
  controllers: [MetricsController],
  providers: [
    {
      provide: METRICS_REGISTRY,
      useFactory: () => {
        const registry = new Registry();
        // Node's process metrics: CPU, memory, heap, GC, event-loop lag, handles (prom-client's standard set).
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    {
      provide: RedisCacheMetrics,
      inject: [CacheService, METRICS_REGISTRY],
      useFactory: (cache: CacheService, registry: Registry) => RedisCacheMetrics.register(cache, { registry }),
    },
    {
      provide: STREAM_METRICS,
      inject: [METRICS_REGISTRY, JobStreamSlots],
      useFactory: (registry: Registry, slots: JobStreamSlots): boolean => {
        new Gauge({
          name: 'jobs_api_event_streams_open',
          help: 'Job event streams (GET /api/v2/jobs/:id/events) open on this instance',
          registers: [registry],
          collect() {
            this.set(slots.total);
          },
        });
        return true;
      },
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
