import { randomBytes } from 'node:crypto';
import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import request from 'supertest';
import { AppModule } from '../../apps/jobs-api/src/app.module.js';
import type { AppConfig } from '../../apps/jobs-api/src/config/app-config.types.js';
import { loadConfig } from '../../apps/jobs-api/src/config/load-config.js';
import { configureApp, createFastifyAdapter } from '../../apps/jobs-api/src/http/configure-app.js';
import { PinoNestLogger } from '../../apps/jobs-api/src/logging/pino-nest-logger.js';
import { createRootLogger } from '../../apps/jobs-api/src/logging/root-logger.js';
import { CapturingLogger } from './capturing-logger.js';

/** The shared PostgreSQL of the machine (trust auth). */
export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
/** The shared Redis: tests only ever touch keys under their own prefix. */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

/** Tokens the harness configures when `auth: true`. */
export const TOKENS = {
  admin: 'e2e-admin-token-0123456789',
  acme: 'e2e-acme-token-0123456789',
  beta: 'e2e-beta-token-0123456789',
} as const;

export interface HarnessOptions {
  /** `true` → ADMIN_TOKEN + two clients (`acme`, `beta`); default `true`. */
  auth?: boolean;
  /** Redis URL; `null` → no Redis (in-process cache only). Default: the shared Redis. */
  redisUrl?: string | null;
  /** `'fresh'` (default): a new database dropped on close; `'embedded'`: no DATABASE_URL; or a URL. */
  database?: 'fresh' | 'embedded' | { url: string };
  /** Put this password into the fresh database's URL (the server trusts loopback, so any password works). */
  databasePassword?: string;
  /** Extra environment variables (override the harness's). */
  env?: Record<string, string | undefined>;
  /**
   * `'capture'` (default): Nest's lines recorded as `LEVEL message`; `'pino'`: Nest logs through pino as in
   * `main.ts` (JSON lines with `reqId`). Fastify's access log is JSON through pino either way.
   */
  nestLogger?: 'capture' | 'pino';
  /** Runs after `configureApp`, before `init` (e.g. to add a Fastify hook or route of the test's own). */
  beforeInit?: (app: NestFastifyApplication) => void;
}

export interface AppHarness {
  readonly app: NestFastifyApplication;
  readonly config: AppConfig;
  readonly logs: CapturingLogger;
  /** Name of the database created for this app (fresh mode). */
  readonly databaseName?: string;
  /** A supertest agent on the app. */
  http(): ReturnType<typeof request>;
  /** Closes the app, drops its database and deletes its Redis keys. Idempotent. */
  close(): Promise<void>;
}

const suffix = (): string => randomBytes(5).toString('hex');

/** Runs `sql` on the shared server's `postgres` database. */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty database and returns its name. */
export async function createDatabase(prefix = 'jobs_e2e'): Promise<string> {
  const name = `${prefix}_${suffix()}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return name;
}

/** Drops a database, cutting its connections first. */
export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

/** Deletes every key under `prefix` on `redisUrl` with SCAN + UNLINK (never KEYS). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, commandTimeout: 2_000, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * Boots the real `AppModule` on Fastify against a fresh PostgreSQL database and (by default) the shared
 * Redis under a unique key prefix, exactly as `main.ts` configures it.
 */
export async function startApp(options: HarnessOptions = {}): Promise<AppHarness> {
  const databaseName = options.database === undefined || options.database === 'fresh' ? await createDatabase() : undefined;
  const databaseUrl =
    databaseName !== undefined
      ? `postgres://postgres${options.databasePassword === undefined ? '' : `:${options.databasePassword}`}@127.0.0.1:5432/${databaseName}`
      : typeof options.database === 'object'
        ? options.database.url
        : undefined;
  const redisUrl = options.redisUrl === undefined ? SHARED_REDIS_URL : (options.redisUrl ?? undefined);
  const auth = options.auth ?? true;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    CACHE_PREFIX: `jobs-e2e-${suffix()}:`,
    DB_POOL_SIZE: '4',
    // Load and fault tests poll as one client far above any sane limit; the rate-limit suite turns it on.
    POLL_RATE_LIMIT_PER_SECOND: '0',
    ...(auth ? { ADMIN_TOKEN: TOKENS.admin, AUTH_TOKENS: `${TOKENS.acme}:acme,${TOKENS.beta}:beta` } : {}),
    ...options.env,
  });

  const logs = new CapturingLogger();
  const root = createRootLogger(config, logs);
  const nestLogger = options.nestLogger === 'pino' ? new PinoNestLogger(root) : logs;
  let app: NestFastifyApplication | undefined;
  try {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
      .setLogger(nestLogger)
      .compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(root), { logger: nestLogger });
    configureApp(app, config);
    options.beforeInit?.(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  } catch (error) {
    await app?.close();
    if (databaseName !== undefined) await dropDatabase(databaseName);
    throw error;
  }

  const started = app;
  let closed = false;
  return {
    app: started,
    config,
    logs,
    databaseName,
    http: () => request(started.getHttpServer()),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await started.close();
      } finally {
        if (databaseName !== undefined) await dropDatabase(databaseName);
        if (config.redis.url !== undefined && options.redisUrl === undefined) await deleteRedisKeys(config.redis.url, config.cache.prefix);
      }
    },
  };
}

/** `Authorization` header for one of the harness's {@link TOKENS}. */
export function bearer(who: keyof typeof TOKENS): { Authorization: string } {
  return { Authorization: `Bearer ${TOKENS[who]}` };
}
