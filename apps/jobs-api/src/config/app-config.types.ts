import type { LogLevel } from '@nestjs/common';
import type { MigrationPhase } from 'nestjs-tiered-cache/migration';

/** A client allowed to call the API with its own bearer token. */
export interface ClientCredential {
  readonly token: string;
  readonly clientId: string;
}

/** The whole runtime configuration, validated once at boot by `loadConfig`. Nothing else reads `process.env`. */
export interface AppConfig {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly port: number;
  readonly host: string;
  /** `LOG_LEVEL`: the least severe level written (Nest's names; `log` is pino's `info`). */
  readonly logLevel: LogLevel;
  /** The configured level and every more severe one, as Nest's loggers want them. */
  readonly logLevels: LogLevel[];
  readonly database: {
    /** Absent → embedded PGlite under `<dataDir>/pglite`. */
    readonly url?: string;
    readonly dataDir: string;
    readonly poolSize: number;
    /** Server-side `statement_timeout`: a query running longer is cancelled (the request gets a `503`). */
    readonly statementTimeoutMs: number;
    /** Longest wait for a pooled connection (or a new one): beyond it the request fails fast with `503`. */
    readonly acquireTimeoutMs: number;
  };
  readonly redis: {
    /** Absent → the cache serves from in-process memory only. */
    readonly url?: string;
    readonly commandTimeoutMs: number;
    /** Where the invalidation bus subscribes, if not `url` (e.g. a replica). */
    readonly busUrl?: string;
  };
  readonly cache: {
    readonly ttlSeconds: number;
    readonly prefix: string;
    /** How long an unknown job id is remembered as "not found". */
    readonly negativeTtlSeconds: number;
    /** How long past its TTL a job may still be served (marked `X-Cache: STALE`) while PostgreSQL fails. */
    readonly graceSeconds: number;
    /**
     * Soft bound of a job or page load: past it, an entry within the grace period is served (`STALE`) while
     * the load finishes in the background. A cold read keeps waiting for the database's own bounds. 0 = off.
     */
    readonly loadTimeoutMs: number;
    /**
     * Phase of each namespace moving off a legacy cache (`CACHE_MIGRATION_PHASES=job=dual-write`). Only
     * `job` has a legacy source (the `job_progress_cache` column); empty = no legacy source.
     */
    readonly migrationPhases: Readonly<Partial<Record<MigratingNamespace, MigrationPhase>>>;
    /** The invalidation bus lease: how long an instance serves L1 after its last confirmed heartbeat. */
    readonly leaseMs: number;
    /** How long an instance cut off from Redis keeps acknowledging job updates (then `503`). */
    readonly writeWindowMs: number;
  };
  /** Per-client limit of job polls (`GET /api/v2/jobs[/:id]`), per instance; the admin is not limited. */
  readonly rateLimit: {
    /** Tokens a client's bucket gains per second; `0` turns the limit off. */
    readonly pollsPerSecond: number;
    /** Bucket size: how many polls a client may make at once after a quiet spell. */
    readonly burst: number;
  };
  /** Job event streams (`GET /api/v2/jobs/:id/events`). */
  readonly streams: {
    /** Streams a caller may hold open at once, per instance (the admin counts as one caller); past it `429`. */
    readonly perClient: number;
    /** Milliseconds between two heartbeat comments on an open stream. */
    readonly heartbeatMs: number;
  };
  /** Problems that refuse a production start but only warn elsewhere (misspelled variables), for the start-up log. */
  readonly warnings: readonly string[];
  readonly auth: {
    /** False when neither ADMIN_TOKEN nor AUTH_TOKENS is set: every caller is the admin (local use only). */
    readonly enabled: boolean;
    readonly adminToken?: string;
    readonly clients: readonly ClientCredential[];
  };
}

/** Namespaces this service can migrate off a legacy cache. */
export const MIGRATING_NAMESPACES = ['job'] as const;
export type MigratingNamespace = (typeof MIGRATING_NAMESPACES)[number];

/** Client id used for jobs created while auth is off. */
export const LOCAL_CLIENT_ID = 'local';
