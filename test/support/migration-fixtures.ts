import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import ts from 'typescript';

/** The shared test database (trust auth); tests create uniquely named tables in it and drop them. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The shared Redis: always under a unique key prefix. */
export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A short random suffix for table names and key prefixes. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** A small pool on the shared test database, every query bounded. */
export function testPool(url = TEST_DATABASE_URL, max = 4): pg.Pool {
  return new pg.Pool({ connectionString: url, max, query_timeout: 10_000, connectionTimeoutMillis: 3_000 });
}

/** Creates a legacy cache table `key text PK, value jsonb, expires_at timestamptz`. */
export async function createLegacyTable(pool: pg.Pool, table: string): Promise<void> {
  await pool.query(`CREATE TABLE ${table} (key text PRIMARY KEY, value jsonb, expires_at timestamptz)`);
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Transpiles the library's engine and migration folders (type-erasing only; the project is
 * `isolatedModules`) into a fresh folder inside the repository, so the `cache:migrate` script can run on
 * plain `node` in a test without `npm run build` touching the shared `dist/`. Returns the migration
 * entry to hand to the script as `CACHE_MIGRATE_LIBRARY`, and a cleanup.
 */
export function transpileMigrationLibrary(): { entry: string; cleanup: () => void } {
  // Inside the repository so that bare imports (ioredis, pg…) resolve from its node_modules.
  const out = join(root, 'node_modules', '.cache', `cache-migrate-e2e-${uniqueSuffix()}`);
  const src = join(root, 'libs/redis-cache/src');
  for (const folder of ['engine', 'migration']) {
    for (const file of walk(join(src, folder))) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
      const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, experimentalDecorators: true,
          emitDecoratorMetadata: true, isolatedModules: true, verbatimModuleSyntax: false,
        },
        fileName: file,
      });
      const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
  }
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  return {
    entry: join(out, 'libs/redis-cache/src/migration/index.js'),
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}
