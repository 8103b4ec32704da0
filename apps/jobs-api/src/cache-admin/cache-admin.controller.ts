import { Controller, Delete, Get, HttpCode, Inject } from '@nestjs/common';
import { CacheService, type CacheStats } from 'nestjs-tiered-cache';
import { AdminOnly } from '../auth/auth.decorators.js';
import { APP_CONFIG } from '../config/config.constants.js';
import type { AppConfig } from '../config/app-config.types.js';

/** The tier-by-tier view of the counters that `GET /api/v2/cache/stats` adds to the flat statistics. */
function breakdown(stats: CacheStats) {
  return {
    l1: { hits: stats.l1Hits, misses: stats.l1Misses, entries: stats.l1.entries, bytes: stats.l1.bytes, maxEntries: stats.l1.maxEntries, maxBytes: stats.l1.maxBytes },
    l2: { hits: stats.l2Hits, misses: stats.l2Misses, enabled: stats.redisEnabled, available: stats.redisAvailable, circuit: stats.circuit },
    loads: stats.loads,
    coalesced: stats.coalesced,
    stale: stats.staleServed,
    errors: stats.errors,
    timeouts: stats.timeouts,
  };
}

/** Operator view of the cache: counters, and clearing this service's keys (never anyone else's). */
@Controller('api/v2/cache')
@AdminOnly()
export class CacheAdminController {
  constructor(
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Flat counters (issue 2's shape), plus the L1/L2 breakdown, circuit state, coalesced and stale counts. */
  @Get('stats')
  stats() {
    const stats = this.cache.getStats();
    const message = !stats.redisEnabled
      ? 'No REDIS_URL: serving from the in-process cache only'
      : stats.redisAvailable
        ? 'Redis is serving'
        : 'Redis is unavailable: serving from the in-process cache and PostgreSQL';
    return { cacheEnabled: true, statistics: { ...stats, ttlSeconds: this.config.cache.ttlSeconds }, breakdown: breakdown(stats), message };
  }

  /** Removes every key under this service's prefix (SCAN + UNLINK inside the library). */
  @Delete()
  @HttpCode(200)
  async clear(): Promise<{ cleared: number }> {
    return { cleared: await this.cache.clear() };
  }
}
