import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError } from './config-validation.error.js';
import { loadConfig } from './load-config.js';

const ADMIN = 'admin-token-0123456789';

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected loadConfig to refuse');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '127.0.0.1',
      database: { url: undefined, dataDir: './data', poolSize: 10 },
      redis: { url: undefined, commandTimeoutMs: 200 },
      cache: { ttlSeconds: 30, prefix: 'jobs-api:', negativeTtlSeconds: 5, loadTimeoutMs: 500, migrationPhases: {} },
      auth: { enabled: false, clients: [] },
    });
    expect(config.logLevels).toEqual(['fatal', 'error', 'warn', 'log']);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ REDIS_URL: '', PORT: ' ', DATABASE_URL: '' })).toMatchObject({ port: 3000, redis: { url: undefined } });
  });

  it('parses auth tokens and keeps them apart from the admin token', () => {
    const config = loadConfig({ ADMIN_TOKEN: ADMIN, AUTH_TOKENS: 'client-a-token-123456:acme, client-b-token-123456:beta' });
    expect(config.auth).toEqual({
      enabled: true,
      adminToken: ADMIN,
      clients: [
        { token: 'client-a-token-123456', clientId: 'acme' },
        { token: 'client-b-token-123456', clientId: 'beta' },
      ],
    });
  });

  it.each(['abc', '70000', '-1', '1e3', '3000.5', ' 3000'])('refuses PORT=%j', (port) => {
    expect(problemsOf({ PORT: port })).toEqual([expect.stringMatching(/^PORT: /)]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      PORT: 'x',
      CACHE_TTL_SECONDS: '0',
      LOG_LEVEL: 'loud',
      REDIS_URL: 'http://h',
      CACHE_PREFIX: 'a b',
      NODE_ENV: 'production',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['ADMIN_TOKEN', 'CACHE_PREFIX', 'CACHE_TTL_SECONDS', 'LOG_LEVEL', 'PORT', 'REDIS_URL'].sort(),
    );
  });

  it('refuses production without authentication', () => {
    expect(problemsOf({ NODE_ENV: 'production', REDIS_URL: 'redis://r:6379' })).toEqual([expect.stringContaining('ADMIN_TOKEN: required when NODE_ENV=production')]);
    expect(loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: ADMIN, REDIS_URL: 'redis://r:6379' }).auth.enabled).toBe(true);
  });

  it('refuses production without REDIS_URL unless CACHE_MEMORY_ONLY=true, which contradicts a REDIS_URL', () => {
    expect(problemsOf({ NODE_ENV: 'production', ADMIN_TOKEN: ADMIN })).toEqual([expect.stringMatching(/^REDIS_URL: required when NODE_ENV=production.*CACHE_MEMORY_ONLY=true/)]);
    expect(loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: ADMIN, CACHE_MEMORY_ONLY: 'true' }).redis.url).toBeUndefined();
    expect(problemsOf({ CACHE_MEMORY_ONLY: 'true', REDIS_URL: 'redis://r:6379' })).toEqual([expect.stringMatching(/^CACHE_MEMORY_ONLY: /)]);
    expect(problemsOf({ CACHE_MEMORY_ONLY: 'yes' })).toEqual([expect.stringMatching(/^CACHE_MEMORY_ONLY: must be true or false/)]);
  });

  it('names misspelled variables: refused in production, a warning elsewhere; leaves other programs\' variables alone', () => {
    const env = { REDIS_ULR: 'redis://:pw@r', DATABSE_URL: 'x', CACHE_PREFX: 'p', REDIS_PORT: 'tcp://10.0.0.1:6379', REDIS_SERVICE_HOST: '10.0.0.1', HOME: '/root', DB_HOST: 'db' };
    const lookalikes = [
      'CACHE_PREFX: not a variable of this service; did you mean CACHE_PREFIX?',
      'DATABSE_URL: not a variable of this service; did you mean DATABASE_URL?',
      'REDIS_ULR: not a variable of this service; did you mean REDIS_URL?',
    ];
    expect(loadConfig(env).warnings).toEqual(lookalikes);
    expect(problemsOf({ ...env, NODE_ENV: 'production', ADMIN_TOKEN: ADMIN, REDIS_URL: 'redis://r:6379' })).toEqual(lookalikes);
  });

  it('refuses client tokens without an admin token, short tokens, bad pairs and reused tokens', () => {
    expect(problemsOf({ AUTH_TOKENS: 'client-a-token-123456:acme' })).toEqual([expect.stringContaining('ADMIN_TOKEN: required when AUTH_TOKENS')]);
    const problems = problemsOf({ ADMIN_TOKEN: ADMIN, AUTH_TOKENS: `short:acme,nopair,client-a-token-123456:bad id,${ADMIN}:x` });
    expect(problems).toHaveLength(4);
    expect(problemsOf({ ADMIN_TOKEN: 'short' })).toEqual([expect.stringMatching(/^ADMIN_TOKEN: must be at least 16/)]);
  });

  it('takes every Redis URL form the cache takes: TLS, Sentinel and Cluster (several hosts), and names the forms when wrong', () => {
    for (const url of ['rediss://h:6380/2', 'redis+sentinel://s1,s2:26380/mymaster', 'redis+cluster://u:p@n1:7000,n2:7001']) {
      expect(loadConfig({ REDIS_URL: url, CACHE_BUS_REDIS_URL: url.startsWith('redis+cluster') ? '' : url }).redis.url).toBe(url);
    }
    expect(problemsOf({ REDIS_URL: 'redis+cluster://n1:7000,n2:99999' })).toEqual([expect.stringMatching(/^REDIS_URL: .*port.*redis\+cluster:\/\//)]);
    expect(problemsOf({ CACHE_BUS_REDIS_URL: 'http://h' })).toEqual([expect.stringMatching(/^CACHE_BUS_REDIS_URL: /)]);
  });

  it('never repeats a secret in its problems', () => {
    const error = (() => {
      try {
        return loadConfig({ DATABASE_URL: 'mysql://u:s3cr3t-pw@db/x', REDIS_URL: 'redis://:r3d1s-pw@', AUTH_TOKENS: 'tiny-secret:acme' });
      } catch (e) {
        return e as Error;
      }
    })() as Error;
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error.message).not.toMatch(/s3cr3t-pw|r3d1s-pw|tiny-secret/);
    expect((error as ConfigValidationError).code).toBe('CONFIG_INVALID');
  });

  it('reads the soft load timeout (0 turns it off) and refuses a malformed one', () => {
    expect(loadConfig({ CACHE_LOAD_TIMEOUT_MS: '0' }).cache.loadTimeoutMs).toBe(0);
    expect(loadConfig({ CACHE_LOAD_TIMEOUT_MS: '250' }).cache.loadTimeoutMs).toBe(250);
    expect(problemsOf({ CACHE_LOAD_TIMEOUT_MS: '-5' })).toEqual([expect.stringMatching(/^CACHE_LOAD_TIMEOUT_MS: /)]);
  });

  it('parses CACHE_MIGRATION_PHASES for the namespaces that have a legacy source', () => {
    expect(loadConfig({ CACHE_MIGRATION_PHASES: ' job = primary ' }).cache.migrationPhases).toEqual({ job: 'primary' });
    expect(loadConfig({ CACHE_MIGRATION_PHASES: '' }).cache.migrationPhases).toEqual({});
  });

  it.each([
    ['job=sideways', /phase must be one of/],
    ['job', /phase must be one of/],
    ['job=only=primary', /expected namespace=phase/],
    ['job=only,job=primary', /namespace given twice/],
    ['report=primary', /no legacy source for namespace "report"/],
  ])('refuses CACHE_MIGRATION_PHASES=%j', (value, message) => {
    expect(problemsOf({ CACHE_MIGRATION_PHASES: value })).toEqual([expect.stringMatching(message)]);
  });

  it('reads the poll rate limit (0 turns it off) and refuses a malformed one', () => {
    expect(loadConfig({}).rateLimit).toEqual({ pollsPerSecond: 100, burst: 200 });
    expect(loadConfig({ POLL_RATE_LIMIT_PER_SECOND: '0', POLL_RATE_LIMIT_BURST: '5' }).rateLimit).toEqual({ pollsPerSecond: 0, burst: 5 });
    expect(problemsOf({ POLL_RATE_LIMIT_PER_SECOND: '1.5', POLL_RATE_LIMIT_BURST: '0' }).map((p) => p.split(':')[0])).toEqual([
      'POLL_RATE_LIMIT_PER_SECOND',
      'POLL_RATE_LIMIT_BURST',
    ]);
  });

  it('puts DATABASE_PASSWORD and REDIS_PASSWORD into their URLs, encoded, whatever they hold', () => {
    const password = 'p@ss#w/rd:%x y';
    const config = loadConfig({
      DATABASE_URL: 'postgres://jobs@db:5432/jobs',
      DATABASE_PASSWORD: password,
      REDIS_URL: 'redis://redis:6379/0',
      REDIS_PASSWORD: password,
      CACHE_BUS_REDIS_URL: 'redis://replica:6379/0',
    });
    for (const url of [config.database.url, config.redis.url, config.redis.busUrl]) {
      expect(decodeURIComponent(new URL(url!).password)).toBe(password);
    }
    expect(new URL(config.database.url!)).toMatchObject({ hostname: 'db', username: 'jobs', pathname: '/jobs' });
    expect(problemsOf({ REDIS_PASSWORD: 'x' })).toEqual(['REDIS_PASSWORD: set without REDIS_URL']);
    expect(problemsOf({ REDIS_URL: 'redis+sentinel://s1:26379,s2:26379/mymaster', REDIS_PASSWORD: 'x' })).toEqual([expect.stringMatching(/^REDIS_PASSWORD: works with a single-host REDIS_URL only/)]);
    expect(problemsOf({ REDIS_URL: 'redis://:a@r:6379', REDIS_PASSWORD: 'b' })).toEqual([expect.stringMatching(/^REDIS_PASSWORD: REDIS_URL already holds a password/)]);
  });

  it('refuses a one-connection pool while migrating (legacy writes follow a commit on a second connection)', () => {
    expect(problemsOf({ CACHE_MIGRATION_PHASES: 'job=dual-write', DB_POOL_SIZE: '1' })).toEqual([expect.stringMatching(/^DB_POOL_SIZE: must be at least 2/)]);
    expect(loadConfig({ DB_POOL_SIZE: '1' }).database.poolSize).toBe(1);
  });
});
