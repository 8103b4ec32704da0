import { MigrationConfigError, type MigrationPhase, parseMigrationPhases } from '@app/redis-cache';
import { type AppConfig, MIGRATING_NAMESPACES, type MigratingNamespace } from './app-config.types.js';
import { envSchema, LOG_LEVELS, parseAuthTokens } from './app-config.schema.js';
import { ConfigValidationError } from './config-validation.error.js';

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
  const auth = parseAuthTokens(nonEmpty(env.AUTH_TOKENS));
  const migration = parsePhases(nonEmpty(env.CACHE_MIGRATION_PHASES));
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`)),
    ...auth.problems,
    ...migration.problems,
    ...crossChecks(env, auth.clients.map((c) => c.token)),
  ];
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
    logLevels: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(vars.LOG_LEVEL) + 1),
    database: {
      url: vars.DATABASE_URL,
      dataDir: vars.DATA_DIR,
      poolSize: vars.DB_POOL_SIZE,
      statementTimeoutMs: vars.DB_STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: vars.DB_ACQUIRE_TIMEOUT_MS,
    },
    redis: { url: vars.REDIS_URL, commandTimeoutMs: vars.CACHE_COMMAND_TIMEOUT_MS },
    cache: {
      ttlSeconds: vars.CACHE_TTL_SECONDS,
      prefix: vars.CACHE_PREFIX,
      negativeTtlSeconds: vars.CACHE_NEGATIVE_TTL_SECONDS,
      graceSeconds: vars.CACHE_GRACE_SECONDS,
      loadTimeoutMs: vars.CACHE_LOAD_TIMEOUT_MS,
      migrationPhases: migration.phases,
    },
    auth: {
      enabled: vars.ADMIN_TOKEN !== undefined || auth.clients.length > 0,
      adminToken: vars.ADMIN_TOKEN,
      clients: auth.clients,
    },
  };
}
