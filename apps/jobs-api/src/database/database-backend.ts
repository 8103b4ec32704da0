import { redactUrl } from '../config/redact-url.util.js';
import type { AppConfig } from '../config/app-config.types.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/** Injection token of the resolved {@link DatabaseBackend}. */
export const DATABASE_BACKEND = 'JOBS_API:DATABASE_BACKEND';

/** Where the data lives: the configured PostgreSQL, or an embedded one this process started. */
export interface DatabaseBackend {
  /** Connection URL for the pool (may hold a password: never log it; use `description`). */
  readonly url: string;
  /** For the start-up log, without credentials. */
  readonly description: string;
  readonly embedded?: EmbeddedPostgres;
}

/** Connections the embedded server accepts beyond the pool: the TypeORM CLI or a psql session. */
const EMBEDDED_SPARE_CONNECTIONS = 2;

/** Uses `DATABASE_URL`, or starts the embedded PostgreSQL when it is absent. */
export async function resolveDatabaseBackend(config: AppConfig['database']): Promise<DatabaseBackend> {
  if (config.url !== undefined) {
    return { url: config.url, description: `PostgreSQL at ${redactUrl(config.url)}` };
  }
  const embedded = await EmbeddedPostgres.start(config.dataDir, config.poolSize + EMBEDDED_SPARE_CONNECTIONS);
  return { url: embedded.url, description: `embedded PostgreSQL (PGlite) at ${embedded.path}`, embedded };
}
