import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LegacySource } from '../legacy-source.interface.js';
import { MigrationConfigError } from '../migration.errors.js';
import { KeyvLegacySource } from '../sources/keyv-legacy-source.js';
import { PostgresLegacySource } from '../sources/postgres-legacy-source.js';

/** A legacy source opened from a `--from` spec, with what must be closed afterwards. */
export interface OpenedLegacySource {
  source: LegacySource;
  close(): Promise<void>;
}

/**
 * Opens a legacy store from a one-line spec:
 * - `postgres://user@host:5432/db?table=jobs&key=id&value=job_progress_cache[&expires=col][&mode=rows|column]`
 * - `keyv+redis://host:6379[/db][?namespace=ns]` — a Keyv store over `@keyv/redis`
 * - `module:./path/to/source.mjs` — a module whose default export (or `createLegacySource`) returns a
 *   {@link LegacySource} (or a promise of one): any other store.
 *
 * @throws MigrationConfigError for an unknown scheme or a missing parameter (the message never repeats the URL's password).
 */
export async function openLegacySource(spec: string, cwd = process.cwd()): Promise<OpenedLegacySource> {
  if (spec.startsWith('module:')) return openModule(spec.slice('module:'.length), cwd);
  let url: URL;
  try {
    url = new URL(spec);
  } catch (error) {
    throw new MigrationConfigError('--from is not a URL or module: spec', error);
  }
  if (url.protocol === 'postgres:' || url.protocol === 'postgresql:') return openPostgres(url);
  if (url.protocol === 'keyv+redis:' || url.protocol === 'keyv+rediss:') return openKeyvRedis(url);
  throw new MigrationConfigError(`--from scheme ${url.protocol} is not supported (postgres:, keyv+redis:, module:)`);
}

async function openPostgres(url: URL): Promise<OpenedLegacySource> {
  const param = (name: string, required: boolean): string | undefined => {
    const value = url.searchParams.get(name) ?? undefined;
    if (required && !value) throw new MigrationConfigError(`--from postgres: needs ?${name}=`);
    return value;
  };
  const mode = param('mode', false) ?? 'rows';
  if (mode !== 'rows' && mode !== 'column') throw new MigrationConfigError('--from postgres: mode must be rows or column');
  const options = { table: param('table', true)!, keyColumn: param('key', true)!, valueColumn: param('value', true)!, expiresAtColumn: param('expires', false), mode } as const;
  const connection = new URL(url.href);
  for (const name of ['table', 'key', 'value', 'expires', 'mode']) connection.searchParams.delete(name);
  const { default: pg } = await import('pg');
  // Small pool, every query bounded: the copy reads one batch at a time.
  const pool = new pg.Pool({ connectionString: connection.href, max: 2, query_timeout: 30_000, connectionTimeoutMillis: 5_000 });
  return { source: new PostgresLegacySource({ db: pool, ...options }), close: () => pool.end() };
}

async function openKeyvRedis(url: URL): Promise<OpenedLegacySource> {
  const namespace = url.searchParams.get('namespace') ?? undefined;
  const redisUrl = new URL(url.href.replace(/^keyv\+/, ''));
  redisUrl.searchParams.delete('namespace');
  const [{ Keyv }, { default: KeyvRedis }] = await Promise.all([import('keyv'), import('@keyv/redis')]);
  const store = new KeyvRedis(redisUrl.href);
  const keyv = new Keyv({ store, namespace, useKeyPrefix: namespace !== undefined });
  return {
    source: new KeyvLegacySource(keyv, { description: `keyv+redis:${redisUrl.host}/${namespace ?? ''}` }),
    close: () => keyv.disconnect(),
  };
}

async function openModule(path: string, cwd: string): Promise<OpenedLegacySource> {
  const href = pathToFileURL(isAbsolute(path) ? path : resolve(cwd, path)).href;
  const module = (await import(href)) as { default?: unknown; createLegacySource?: unknown };
  const factory = module.createLegacySource ?? module.default;
  if (typeof factory !== 'function') throw new MigrationConfigError(`${path} exports no createLegacySource() or default function`);
  const source = (await (factory as () => Promise<LegacySource> | LegacySource)());
  return { source, close: async () => source.close?.() };
}
