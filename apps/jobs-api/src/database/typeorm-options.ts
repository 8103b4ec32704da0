import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.types.js';
import { JobEntity } from '../jobs/job.entity.js';
import { MIGRATIONS } from './migrations/index.js';

/** The pool's time bounds, so that no request waits on a database that stopped answering. */
export type DatabaseTimeouts = Pick<AppConfig['database'], 'poolSize' | 'statementTimeoutMs' | 'acquireTimeoutMs'>;

/**
 * The client-side read timeout sits above the server's `statement_timeout`, so a merely slow query is
 * cancelled by PostgreSQL (connection kept) and only a server that stopped answering trips the client's.
 */
const CLIENT_TIMEOUT_MARGIN_MS = 1_000;

/** DataSource options shared by the service and the TypeORM CLI: schema by migrations only. */
export function typeOrmOptions(url: string, db: DatabaseTimeouts): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [JobEntity],
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    // TypeORM's own logger prints query parameters (user data); errors surface through our handlers instead.
    logging: false,
    poolSize: db.poolSize,
    connectTimeoutMS: db.acquireTimeoutMs,
    extra: {
      // pg-pool applies this both to opening a connection and to waiting for a free one: a full pool fails
      // fast (mapped to 503) instead of queueing requests without bound.
      connectionTimeoutMillis: db.acquireTimeoutMs,
      statement_timeout: db.statementTimeoutMs,
      query_timeout: db.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    },
  };
}
