import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { RedisCacheModule } from 'nestjs-tiered-cache';
import { DataSource } from 'typeorm';
import { AuthModule } from './auth/auth.module.js';
import { CacheAdminController } from './cache-admin/cache-admin.controller.js';
import { APP_CONFIG } from './config/config.constants.js';
import type { AppConfig } from './config/app-config.types.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { LegacyCacheModule, legacyCacheMigrations } from './legacy-cache/legacy-cache.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { StartupReporter } from './startup-reporter.js';
import { UiModule } from './ui/ui.module.js';

/** The jobs API, built from a validated config so tests boot the real module with their own. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(config),
        RedisCacheModule.forRootAsync({
          isGlobal: true,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => ({
            redisUrl: config.redis.url,
            keyPrefix: config.cache.prefix,
            defaultTtlSeconds: config.cache.ttlSeconds,
            commandTimeoutMs: config.redis.commandTimeoutMs,
            graceSeconds: config.cache.graceSeconds,
            loadTimeoutMs: config.cache.loadTimeoutMs,
            bus: { leaseMs: config.cache.leaseMs, writeWindowMs: config.cache.writeWindowMs, redisUrl: config.redis.busUrl },
            // The `job` namespace's move off the `job_progress_cache` column, when CACHE_MIGRATION_PHASES names it.
            migrations: legacyCacheMigrations(config, dataSource),
            logger: new Logger('RedisCache'),
          }),
        }),
        AuthModule.forRoot(config),
        RateLimitModule.forRoot(config),
        LegacyCacheModule,
        JobsModule,
        HealthModule,
        MetricsModule,
        UiModule,
      ],
      controllers: [CacheAdminController],
      providers: [{ provide: APP_CONFIG, useValue: config }, StartupReporter],
      exports: [APP_CONFIG],
    };
  }
}
