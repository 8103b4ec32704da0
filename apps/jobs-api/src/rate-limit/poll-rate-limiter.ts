import { TokenBucket } from 'limiter';
import type { AppConfig } from '../config/app-config.types.js';

/** The outcome of charging one poll to a client. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const ALLOWED: RateDecision = { allowed: true };

/**
 * One token bucket per client (`limiter`'s `TokenBucket`: `pollsPerSecond` tokens a second, at most `burst`
 * held). Synchronous and in-process: no I/O, so it can decide in front of Nest. Buckets exist only for
 * configured client ids (callers with a valid token), so their number is bounded by `AUTH_TOKENS`.
 * Per instance: with N instances behind a load balancer a client may make up to N × the limit.
 */
export class PollRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly settings: AppConfig['rateLimit']) {}

  /** Whether the limit is on (`POLL_RATE_LIMIT_PER_SECOND` > 0). */
  get enabled(): boolean {
    return this.settings.pollsPerSecond > 0;
  }

  /** Takes one token from `clientId`'s bucket, or says how long until one is there. */
  charge(clientId: string): RateDecision {
    if (!this.enabled) return ALLOWED;
    let bucket = this.buckets.get(clientId);
    if (bucket === undefined) {
      bucket = new TokenBucket({ bucketSize: this.settings.burst, tokensPerInterval: this.settings.pollsPerSecond, interval: 'second' });
      // `limiter` starts a bucket empty; a client we have not seen yet gets its full burst.
      bucket.content = this.settings.burst;
      this.buckets.set(clientId, bucket);
    }
    if (bucket.tryRemoveTokens(1)) return ALLOWED;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(bucket.getWaitTime(1) / 1000)) };
  }
}
