import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { RedisCacheModule } from '@app/redis-cache';
import { AuthModule } from './auth/auth.module.js';
import { CacheAdminController } from './cache-admin/cache-admin.controller.js';
import { APP_CONFIG } from './config/config.constants.js';
import type { AppConfig } from './config/app-config.types.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import { LegacyCacheModule } from './legacy-cache/legacy-cache.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { StartupReporter } from './startup-reporter.js';

/** The jobs API, built from a validated config so tests boot the real module with their own. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(config),
        RedisCacheModule.forRoot({
          isGlobal: true,
          redisUrl: config.redis.url,
          keyPrefix: config.cache.prefix,
          defaultTtlSeconds: config.cache.ttlSeconds,
          commandTimeoutMs: config.redis.commandTimeoutMs,
          graceSeconds: config.cache.graceSeconds,
          logger: new Logger('RedisCache'),
        }),
        AuthModule.forRoot(config),
        // The `job` namespace's move off the `job_progress_cache` column; provides `null` when not configured.
        LegacyCacheModule.register({ phase: config.cache.migrationPhases.job, ttlSeconds: config.cache.ttlSeconds }),
        JobsModule,
        HealthModule,
        MetricsModule,
      ],
      controllers: [CacheAdminController],
      providers: [{ provide: APP_CONFIG, useValue: config }, StartupReporter],
      exports: [APP_CONFIG],
    };
  }
}
