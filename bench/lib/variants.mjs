// The HTTP variants, each its own process on the same route and payload. `ours` is the jobs API build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/** Path of the compiled jobs API. */
export const OURS_MAIN = here('../../dist/apps/jobs-api/src/main.js');

/**
 * Variant definitions. `table` is where its poll reads land; `cached` whether it has a cache to warm;
 * `patch` whether it serves PATCH /api/v2/jobs/:id/progress.
 */
export const HTTP_VARIANTS = {
  ours: { label: 'ours (jobs API, Fastify)', script: OURS_MAIN, table: 'jobs', cached: true, patch: true },
  stock: { label: 'Nest + stock CacheInterceptor + @keyv/redis', script: here('../variants/nest-stock-cache.mjs'), table: 'bench_jobs', cached: true, patch: true },
  floor: { label: 'raw node:http + ioredis GET (floor)', script: here('../variants/raw-floor.mjs'), table: 'bench_jobs', cached: true, patch: false },
  ceiling: { label: 'Nest on Fastify, constant JSON (ceiling)', script: here('../variants/nest-constant.mjs'), table: null, cached: false, patch: false },
  fastify: { label: 'plain Fastify, constant JSON (no Nest)', script: here('../variants/fastify-constant.mjs'), table: null, cached: false, patch: false },
  uncached: { label: 'Nest + TypeORM findOneBy, no cache', script: here('../variants/nest-uncached.mjs'), table: 'bench_jobs', cached: false, patch: true },
};

/** Whether the jobs API has been built. */
export function oursBuilt() {
  return existsSync(OURS_MAIN);
}

/** Environment for a variant process. */
export function variantEnv(ctx, name, { prefix, databaseUrl, redisUrl } = {}) {
  return {
    DATABASE_URL: databaseUrl ?? ctx.db.url,
    REDIS_URL: redisUrl ?? ctx.redisUrl,
    CACHE_TTL_SECONDS: String(ctx.opts.ttlSeconds),
    CACHE_PREFIX: prefix ?? `${ctx.prefix}${name}:`,
    BENCH_JOB_JSON: JSON.stringify(ctx.template),
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    // Neither auth variable set: every caller is the admin (the API's documented local mode).
    AUTH_TOKENS: undefined,
    ADMIN_TOKEN: undefined,
  };
}
