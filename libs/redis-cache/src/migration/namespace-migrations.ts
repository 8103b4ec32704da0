import { MigratingCache, type MigratingCacheOptions, type MigrationTarget } from './migrating-cache.js';

/**
 * A namespace moving off a legacy cache, as `RedisCacheModule.forRoot({ migrations: { job: … } })` takes it:
 * the {@link MigratingCacheOptions} but the cache (the module's own) and the namespace (the record's key).
 */
export type NamespaceMigrationOptions<T = unknown> = Omit<MigratingCacheOptions<T>, 'cache' | 'namespace'>;

/** A migration of any value type (the form `RedisCacheModuleOptions.migrations` holds). */
export type AnyNamespaceMigration = NamespaceMigrationOptions<never>;

/** A key of a migrating namespace: the namespace's migration and the id the key names. */
export interface MigrationRoute<T> {
  migration: MigratingCache<T>;
  id: string;
}

/**
 * The migrating namespaces of one cache, and the routing of its keys to them: `CacheService` sends a read or
 * write of `<namespace>:<id>` through that namespace's {@link MigratingCache}, so the application reads and
 * writes its keys as usual and never learns that a namespace is migrating. Only one-part keys
 * (`cache.key(namespace, id)`) are routed; any other key of the namespace goes straight to the cache.
 */
export class NamespaceMigrations {
  private readonly byNamespace: ReadonlyMap<string, MigratingCache<unknown>>;

  constructor(cache: MigrationTarget, migrations: Readonly<Record<string, AnyNamespaceMigration>> = {}, defaults: Pick<MigratingCacheOptions<unknown>, 'logger'> = {}) {
    this.byNamespace = new Map(Object.entries(migrations).map(([namespace, options]) => [
      namespace,
      new MigratingCache<unknown>({ ...defaults, ...(options as NamespaceMigrationOptions), cache, namespace }),
    ]));
  }

  /** The migration of `namespace`, or `undefined` when it does not migrate. */
  get<T>(namespace: string): MigratingCache<T> | undefined {
    return this.byNamespace.get(namespace) as MigratingCache<T> | undefined;
  }

  /** The migration owning `key` and the id it names; `undefined` for every other key (at once when nothing migrates). */
  route<T>(key: string): MigrationRoute<T> | undefined {
    if (this.byNamespace.size === 0) return undefined;
    for (const [namespace, migration] of this.byNamespace) {
      if (!key.startsWith(namespace) || key.charCodeAt(namespace.length) !== 58 /* ':' */) continue;
      const id = decodePart(key.slice(namespace.length + 1));
      // Rebuilding the key from the id proves it is exactly `key(namespace, id)`: an encoded `:` of a
      // multi-part key, or a hashed long key, never matches.
      // The value type is the caller's: the entries of a namespace are whatever its reads and writes hold.
      if (id !== undefined && migration.key(id) === key) return { migration: migration as MigratingCache<T>, id };
    }
    return undefined;
  }
}

/** Inverse of the key builder's part encoding (percent-encoded UTF-8; `%` alone is the empty part). */
function decodePart(encoded: string): string | undefined {
  if (encoded === '%') return '';
  try {
    return decodeURIComponent(encoded);
  } catch (error) {
    // Not something the key builder writes (a stray `%`): the key is not one of the namespace's ids.
    if (error instanceof URIError) return undefined;
    throw error;
  }
}
