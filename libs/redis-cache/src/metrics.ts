// `nestjs-tiered-cache/metrics`: Prometheus metrics (needs the optional peer prom-client).
export { RedisCacheMetrics, type RedisCacheMetricsOptions } from './metrics/redis-cache-metrics.js';
export { registerMigrationMetrics, type MigrationStatsSource } from './migration/migration-metrics.js';
export type { CacheInstrumentation } from './engine/cache.types.js';
