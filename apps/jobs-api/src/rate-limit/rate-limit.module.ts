import { type DynamicModule, Module } from '@nestjs/common';
import { TokenRegistry } from '../auth/token-registry.js';
import type { AppConfig } from '../config/app-config.types.js';
import { PollRateLimitGuard } from './poll-rate-limit.guard.js';
import { PollRateLimiter } from './poll-rate-limiter.js';

/**
 * The per-client poll rate limit: the limiter (one per instance) and the guard routes use. The guard
 * resolves callers with the auth guard's own rule (`TokenRegistry.principalOf`); AuthModule keeps its
 * registry to itself, so this global module offers one built from the same config (immutable, identical).
 */
@Module({})
export class RateLimitModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RateLimitModule,
      global: true,
      providers: [
        { provide: PollRateLimiter, useValue: new PollRateLimiter(config.rateLimit) },
        { provide: TokenRegistry, useValue: new TokenRegistry(config.auth) },
        PollRateLimitGuard,
      ],
      exports: [PollRateLimiter, TokenRegistry, PollRateLimitGuard],
    };
  }
}
