import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from './config/config.constants.js';
import type { AppConfig } from './config/app-config.types.js';
import { redactUrl } from './config/redact-url.util.js';
import { DATABASE_BACKEND, type DatabaseBackend } from './database/database-backend.js';

/** Says at start which backends are in use (without credentials) and warns when auth is off. */
@Injectable()
export class StartupReporter implements OnApplicationBootstrap {
  private readonly logger = new Logger('JobsApi');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE_BACKEND) private readonly database: DatabaseBackend,
  ) {}

  onApplicationBootstrap(): void {
    const redis = this.config.redis.url;
    this.logger.log(`Database: ${this.database.description}`);
    this.logger.log(`Cache: ${redis === undefined ? 'in-process memory only (no REDIS_URL)' : `Redis at ${redactUrl(redis)} with an in-process tier`}`);
    if (redis === undefined && this.config.nodeEnv === 'production') {
      this.logger.warn('CACHE_MEMORY_ONLY=true: no Redis. Each instance caches alone; run a single instance or set REDIS_URL.');
    }
    for (const warning of this.config.warnings) this.logger.warn(`Environment: ${warning}`);
    if (!this.config.auth.enabled) {
      this.logger.warn('Authentication is OFF (no ADMIN_TOKEN/AUTH_TOKENS): every caller is the admin. For local use only.');
    }
  }
}
