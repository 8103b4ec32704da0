import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DATABASE_BACKEND, type DatabaseBackend } from './database-backend.js';

/** Closes the pool before the embedded server under it, so no connection is cut mid-query. */
@Injectable()
export class DatabaseLifecycle implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');

  constructor(
    @Inject(DATABASE_BACKEND) private readonly backend: DatabaseBackend,
    private readonly dataSource: DataSource,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.backend.embedded === undefined) return;
    try {
      if (this.dataSource.isInitialized) await this.dataSource.destroy();
    } finally {
      await this.backend.embedded.stop();
      this.logger.log('Embedded PostgreSQL stopped');
    }
  }
}
