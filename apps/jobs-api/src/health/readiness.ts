import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CacheService } from 'nestjs-tiered-cache';

/** A database ping slower than this counts as PostgreSQL not answering. */
export const READINESS_DATABASE_TIMEOUT_MS = 1_000;

/** What the readiness probe decided, and why. */
export interface Readiness {
  ready: boolean;
  status: 'ready' | 'not-ready' | 'draining';
  database: 'up' | 'down';
  cache: 'redis' | 'memory-only' | 'redis-unavailable';
}

/**
 * Can this instance answer polls? Yes while PostgreSQL answers; and yes while PostgreSQL is down but the cache
 * serves (Redis reachable, or the in-process cache alone when no Redis is configured): cached jobs are then
 * answered, stale ones marked `X-Cache: STALE`, and every other instance is in the same position, so taking
 * this one out of the load balancer would help no one. No when both are gone (a poll could only fail), and
 * from the moment shutdown begins (the load balancer stops routing while in-flight requests finish).
 */
@Injectable()
export class ReadinessCheck implements BeforeApplicationShutdown {
  private draining = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: CacheService,
  ) {}

  beforeApplicationShutdown(): void {
    this.draining = true;
  }

  async check(): Promise<Readiness> {
    const database = (await this.databaseAnswers()) ? 'up' : 'down';
    const stats = this.cache.getStats();
    const cache = !stats.redisEnabled ? 'memory-only' : stats.redisAvailable ? 'redis' : 'redis-unavailable';
    if (this.draining) return { ready: false, status: 'draining', database, cache };
    const ready = database === 'up' || cache !== 'redis-unavailable';
    return { ready, status: ready ? 'ready' : 'not-ready', database, cache };
  }

  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), READINESS_DATABASE_TIMEOUT_MS);
    });
    const ping = this.dataSource.query('SELECT 1').then(
      () => true,
      // The reason is the database's (down, pool exhausted…): /health reports it; here it only means "no".
      () => false,
    );
    try {
      return await Promise.race([ping, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
