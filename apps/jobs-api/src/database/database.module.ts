import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '../config/app-config.types.js';
import { DATABASE_BACKEND, type DatabaseBackend, resolveDatabaseBackend } from './database-backend.js';
import { DatabaseLifecycle } from './database-lifecycle.js';
import { typeOrmOptions } from './typeorm-options.js';

/** Provides the backend (configured or embedded) before TypeORM connects to it. */
@Module({})
class DatabaseBackendModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: DatabaseBackendModule,
      providers: [{ provide: DATABASE_BACKEND, useFactory: () => resolveDatabaseBackend(config.database) }],
      exports: [DATABASE_BACKEND],
    };
  }
}

/** TypeORM over PostgreSQL (or the embedded PGlite), migrations run at start. */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    const backendModule = DatabaseBackendModule.forRoot(config);
    return {
      module: DatabaseModule,
      imports: [
        backendModule,
        TypeOrmModule.forRootAsync({
          imports: [backendModule],
          inject: [DATABASE_BACKEND],
          useFactory: (backend: DatabaseBackend) => ({
            ...typeOrmOptions(backend.url, config.database),
            migrationsRun: true,
            // A few quick retries ride out a database that is still starting; not a minute of waiting.
            retryAttempts: 3,
            retryDelay: 1_000,
          }),
        }),
      ],
      providers: [DatabaseLifecycle],
      exports: [backendModule],
    };
  }
}
