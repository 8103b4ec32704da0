// `nestjs-tiered-cache/health`: the Terminus health indicator (needs the optional peer @nestjs/terminus).
export {
  RedisCacheHealthIndicator, type RedisCacheHealthDetails, type RedisCacheHealthResult,
} from './health/redis-cache-health.indicator.js';
