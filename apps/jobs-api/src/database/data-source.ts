// The DataSource of the TypeORM CLI (`npx typeorm -d dist/apps/jobs-api/src/database/data-source.js migration:run`).
// It needs a running PostgreSQL: DATABASE_URL, validated like the service does.
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/load-config.js';
import { typeOrmOptions } from './typeorm-options.js';

const config = loadConfig(process.env);
if (config.database.url === undefined) {
  throw new Error('The TypeORM CLI needs DATABASE_URL (the embedded database runs only inside the service)');
}

export default new DataSource(typeOrmOptions(config.database.url, { ...config.database, poolSize: 1 }));
