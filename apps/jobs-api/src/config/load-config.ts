import { MigrationConfigError, type MigrationPhase, parseMigrationPhases } from 'nestjs-tiered-cache/migration';
import { type AppConfig, MIGRATING_NAMESPACES, type MigratingNamespace } from './app-config.types.js';
import { envSchema, LOG_LEVELS, parseAuthTokens } from './app-config.schema.js';
import { ConfigValidationError } from './config-validation.error.js';
import { lookalikeVariables } from './lookalike-variables.js';
import { acceptsPassword, hasPassword, withPassword } from './url-password.js';

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Rules across variables, checked on the raw values so they are listed even when a variable is malformed. */
function crossChecks(env: Env, clientTokens: readonly string[]): string[] {
  const problems: string[] = [];
  const adminToken = nonEmpty(env.ADMIN_TOKEN);
  const authEnabled = adminToken !== undefined || clientTokens.length > 0;
  if (nonEmpty(env.NODE_ENV) === 'production' && !authEnabled) {
    problems.push('ADMIN_TOKEN: required when NODE_ENV=production (refusing to run without authentication)');
  }
  const memoryOnly = nonEmpty(env.CACHE_MEMORY_ONLY) === 'true';
  if (nonEmpty(env.NODE_ENV) === 'production' && nonEmpty(env.REDIS_URL) === undefined && !memoryOnly) {
    problems.push(
      'REDIS_URL: required when NODE_ENV=production; to run on the in-process cache alone (nothing shared between instances), set CACHE_MEMORY_ONLY=true',
    );
  }
  if (memoryOnly && nonEmpty(env.REDIS_URL) !== undefined) {
    problems.push('CACHE_MEMORY_ONLY: true contradicts REDIS_URL (unset one of them)');
  }
  for (const [url, password] of [['DATABASE_URL', 'DATABASE_PASSWORD'], ['REDIS_URL', 'REDIS_PASSWORD']] as const) {
    if (nonEmpty(env[password]) !== undefined && nonEmpty(env[url]) === undefined) problems.push(`${password}: set without ${url}`);
    if (nonEmpty(env[password]) !== undefined && nonEmpty(env[url]) !== undefined && !acceptsPassword(nonEmpty(env[url])!)) {
      problems.push(`${password}: works with a single-host ${url} only; put the password inside this ${url} (percent-encoded)`);
    }
    if (nonEmpty(env[password]) !== undefined && hasPassword(nonEmpty(env[url]))) problems.push(`${password}: ${url} already holds a password (give it in one place)`);
  }
  if (clientTokens.length > 0 && adminToken === undefined) {
    problems.push('ADMIN_TOKEN: required when AUTH_TOKENS is set (nobody could update jobs otherwise)');
  }
  if (adminToken !== undefined && clientTokens.includes(adminToken)) {
    problems.push('AUTH_TOKENS: a client token equals ADMIN_TOKEN');
  }
  return problems;
}

/**
 * `CACHE_MIGRATION_PHASES` through the library's parser, restricted to the namespaces that have a legacy
 * source here. Problems quote entries of the variable (namespaces and phase names, never secrets).
 */
function parsePhases(raw: string | undefined): { phases: Partial<Record<MigratingNamespace, MigrationPhase>>; problems: string[] } {
  let parsed: Record<string, MigrationPhase>;
  try {
    parsed = parseMigrationPhases(raw);
  } catch (error) {
    if (error instanceof MigrationConfigError) return { phases: {}, problems: [`CACHE_MIGRATION_PHASES: ${error.message}`] };
    throw error;
  }
  const known = MIGRATING_NAMESPACES as readonly string[];
  const unknown = Object.keys(parsed).filter((namespace) => !known.includes(namespace));
  const problems = unknown.map((namespace) => `CACHE_MIGRATION_PHASES: no legacy source for namespace "${namespace}" (this service migrates: ${known.join(', ')})`);
  return { phases: parsed, problems };
}

/**
 * Validates an environment object once into the typed {@link AppConfig}. Every problem is collected and
 * thrown together as a {@link ConfigValidationError}; values are never echoed (they may be secrets).
 *
 * @example loadConfig(process.env) // main.ts; tests pass their own object
 */
export function loadConfig(env: Env): AppConfig {
  const parsed = envSchema.safeParse(env);
  // A misspelled variable silently falls back to its default: in production that is an error, elsewhere a warning.
  const lookalikes = lookalikeVariables(env, Object.keys(envSchema.shape));
  const production = nonEmpty(env.NODE_ENV) === 'production';
  const auth = parseAuthTokens(nonEmpty(env.AUTH_TOKENS));
  const migration = parsePhases(nonEmpty(env.CACHE_MIGRATION_PHASES));
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`)),
    ...auth.problems,
    ...migration.problems,
    ...crossChecks(env, auth.clients.map((c) => c.token)),
    ...(production ? lookalikes : []),
  ];
  if (parsed.success && parsed.data.CACHE_WRITE_WINDOW_MS < 4 * parsed.data.CACHE_LEASE_MS) {
    problems.push('CACHE_WRITE_WINDOW_MS: must be at least 4 × CACHE_LEASE_MS (a writer cut off from Redis waits about one lease before acknowledging)');
  }
  if (parsed.success && Object.keys(migration.phases).length > 0 && parsed.data.DB_POOL_SIZE < 2) {
    // A legacy write runs right after a commit, while the committing connection is still checked out.
    problems.push('DB_POOL_SIZE: must be at least 2 when CACHE_MIGRATION_PHASES is set (legacy writes need a second connection)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigValidationError(problems);

  const vars = parsed.data;
  return {
    nodeEnv: vars.NODE_ENV,
    port: vars.PORT,
    host: vars.HOST,
    logLevel: vars.LOG_LEVEL,
    logLevels: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(vars.LOG_LEVEL) + 1),
    database: {
      url: withPassword(vars.DATABASE_URL, vars.DATABASE_PASSWORD),
      dataDir: vars.DATA_DIR,
      poolSize: vars.DB_POOL_SIZE,
      statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: vars.DB_ACQUIRE_TIMEOUT_MS,
    },
    redis: {
      url: withPassword(vars.REDIS_URL, vars.REDIS_PASSWORD),
      commandTimeoutMs: vars.CACHE_COMMAND_TIMEOUT_MS,
      // The bus URL takes REDIS_PASSWORD too unless it holds its own (a replica usually shares the password).
      busUrl: hasPassword(vars.CACHE_BUS_REDIS_URL) ? vars.CACHE_BUS_REDIS_URL : withPassword(vars.CACHE_BUS_REDIS_URL, vars.REDIS_PASSWORD),
    },
    cache: {
      ttlSeconds: vars.CACHE_TTL_SECONDS,
      prefix: vars.CACHE_PREFIX,
      negativeTtlSeconds: vars.CACHE_NEGATIVE_TTL_SECONDS,
      graceSeconds: vars.CACHE_GRACE_SECONDS,
      loadTimeoutMs: vars.CACHE_LOAD_TIMEOUT_MS,
      migrationPhases: migration.phases,
      leaseMs: vars.CACHE_LEASE_MS,
      writeWindowMs: vars.CACHE_WRITE_WINDOW_MS,
    },
    rateLimit: { pollsPerSecond: vars.POLL_RATE_LIMIT_PER_SECOND, burst: vars.POLL_RATE_LIMIT_BURST },
    streams: { perClient: vars.JOB_STREAMS_PER_CLIENT, heartbeatMs: vars.JOB_STREAM_HEARTBEAT_MS },
    warnings: production ? [] : lookalikes,
    auth: {
      enabled: vars.ADMIN_TOKEN !== undefined || auth.clients.length > 0,
      adminToken: vars.ADMIN_TOKEN,
      clients: auth.clients,
    },
  };
}
