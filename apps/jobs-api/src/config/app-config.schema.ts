import { z } from 'zod';
import { CacheConfigError, validateRedisUrl } from 'nestjs-tiered-cache';

/** `KEY=` in an env file means "not set", not "set to the empty string". */
const optionalString = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().optional());

/** A decimal integer in a range, from a string; no `1e3`, no `0x10`, no ` 1`. */
function intVar(min: number, max: number, fallback: number) {
  return optionalString.transform((v, ctx) => {
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}` });
      return z.NEVER;
    }
    return Number(v);
  });
}

/** A connection URL with one of `protocols`; the message never repeats the value (it may hold a password). */
function urlVar(protocols: readonly string[]) {
  return optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        const url = new URL(v);
        return protocols.includes(url.protocol) && url.hostname !== '';
      } catch {
        // Not a URL at all: reported below as the refinement's message.
        return false;
      }
    },
    { message: `must be a URL like ${protocols[0]}//user:password@host:port/…` },
  );
}

/**
 * A Redis URL in any form the cache accepts — one server, TLS, Sentinel (`redis+sentinel://`) or Cluster
 * (`redis+cluster://host1,host2`, which WHATWG URL cannot read) — checked by the library's own parser. The
 * message never repeats the value.
 */
const redisUrlVar = optionalString.superRefine((v, ctx) => {
  if (v === undefined) return;
  try {
    validateRedisUrl(v);
  } catch (error) {
    if (!(error instanceof CacheConfigError)) throw error;
    ctx.addIssue({ code: 'custom', message: `${error.message.replace(/^REDIS_URL: /, '')} (forms: redis://, rediss://, redis+sentinel://, redis+cluster://)` });
  }
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;

/** Client ids end up in cache tags, log lines and JSON: keep them boring. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MIN_TOKEN_LENGTH = 16;

/** The environment variables the service understands, with their defaults. */
export const envSchema = z.object({
  NODE_ENV: optionalString.pipe(z.enum(['development', 'test', 'production']).default('development')),
  PORT: intVar(0, 65_535, 3000),
  HOST: optionalString.pipe(z.string().default('127.0.0.1')),
  LOG_LEVEL: optionalString.pipe(z.enum(LOG_LEVELS).default('log')),
  DATABASE_URL: urlVar(['postgres:', 'postgresql:']),
  DATA_DIR: optionalString.pipe(z.string().default('./data')),
  DB_POOL_SIZE: intVar(1, 100, 10),
  DB_STATEMENT_TIMEOUT_MS: intVar(100, 60_000, 2_000),
  DB_ACQUIRE_TIMEOUT_MS: intVar(50, 30_000, 1_000),
  REDIS_URL: redisUrlVar,
  REDIS_PASSWORD: optionalString,
  DATABASE_PASSWORD: optionalString,
  CACHE_BUS_REDIS_URL: redisUrlVar,
  CACHE_LEASE_MS: intVar(100, 60_000, 1_500),
  CACHE_WRITE_WINDOW_MS: intVar(1_000, 3_600_000, 30_000),
  CACHE_COMMAND_TIMEOUT_MS: intVar(10, 5_000, 200),
  CACHE_TTL_SECONDS: intVar(1, 86_400, 30),
  CACHE_NEGATIVE_TTL_SECONDS: intVar(0, 3_600, 5),
  CACHE_GRACE_SECONDS: intVar(0, 86_400, 300),
  CACHE_LOAD_TIMEOUT_MS: intVar(0, 60_000, 500),
  CACHE_MIGRATION_PHASES: optionalString,
  CACHE_MEMORY_ONLY: optionalString.pipe(z.enum(['true', 'false'], { message: 'must be true or false' }).default('false')),
  CACHE_PREFIX: optionalString.pipe(
    z.string().regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1–64 characters of A–Z a–z 0–9 : _ . -').default('jobs-api:'),
  ),
  POLL_RATE_LIMIT_PER_SECOND: intVar(0, 1_000_000, 100),
  POLL_RATE_LIMIT_BURST: intVar(1, 1_000_000, 200),
  JOB_STREAMS_PER_CLIENT: intVar(1, 10_000, 16),
  JOB_STREAM_HEARTBEAT_MS: intVar(1_000, 300_000, 15_000),
  ADMIN_TOKEN: optionalString.refine((v) => v === undefined || v.length >= MIN_TOKEN_LENGTH, {
    message: `must be at least ${MIN_TOKEN_LENGTH} characters`,
  }),
  AUTH_TOKENS: optionalString,
});

export type EnvVars = z.output<typeof envSchema>;

/**
 * Parses `AUTH_TOKENS` (`token:clientId,token:clientId`). Problems name the pair's position, never the token.
 */
export function parseAuthTokens(raw: string | undefined): { clients: { token: string; clientId: string }[]; problems: string[] } {
  const clients: { token: string; clientId: string }[] = [];
  const problems: string[] = [];
  if (raw === undefined) return { clients, problems };
  const seen = new Set<string>();
  raw.split(',').forEach((pair, index) => {
    const entry = pair.trim();
    const at = `AUTH_TOKENS: entry ${index + 1}`;
    const sep = entry.lastIndexOf(':');
    if (sep <= 0) {
      problems.push(`${at} must be token:clientId`);
      return;
    }
    const token = entry.slice(0, sep);
    const clientId = entry.slice(sep + 1);
    if (token.length < MIN_TOKEN_LENGTH) problems.push(`${at} has a token shorter than ${MIN_TOKEN_LENGTH} characters`);
    if (!CLIENT_ID_PATTERN.test(clientId)) problems.push(`${at} has a client id that is not 1–64 of A–Z a–z 0–9 . _ -`);
    if (seen.has(token)) problems.push(`${at} repeats a token already given`);
    seen.add(token);
    clients.push({ token, clientId });
  });
  return { clients, problems };
}
