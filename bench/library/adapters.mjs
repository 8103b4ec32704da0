// One adapter per library for scenario 6, each configured the way its documentation recommends for a
// two-tier cache. Every adapter exposes the same four operations; one a library cannot do is left out and
// reported as "n/a". Keys live under the run's bench prefix and are removed by the harness afterwards.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';

const TTL_SECONDS = 60;
const ourLibrary = fileURLToPath(new URL('../../dist/libs/redis-cache/src/index.js', import.meta.url));

function redisOptions(url) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 6379) };
}

/** Ours: CacheEngine from the compiled library (two tiers, and an L2-only twin for the L2 figures). */
async function ours({ redisUrl, prefix }) {
  if (!existsSync(ourLibrary)) throw new Error('dist/libs/redis-cache/src/index.js missing (run npm run build)');
  const lib = await import(pathToFileURL(ourLibrary).href);
  if (typeof lib.CacheEngine !== 'function') throw new Error(`the library exports no CacheEngine (exports: ${Object.keys(lib).join(', ')})`);
  // The same L1 bound as BentoCache's below: the `set` operation writes 10 000 other keys, and with our
  // default of 10 000 entries they evicted the read keyspace, so later `get, L1 hit` rounds read L2.
  const two = new lib.CacheEngine({ redisUrl, keyPrefix: `${prefix}ours:`, l1: { enabled: true, maxEntries: 20_000 } });
  const l2 = new lib.CacheEngine({ redisUrl, keyPrefix: `${prefix}ours:`, l1: { enabled: false } });
  await two.connect();
  await l2.connect();
  const k = (name) => (typeof two.key === 'function' ? two.key('bench', name) : `bench:${name}`);
  return {
    set: (key, value) => two.set(k(key), value, { ttlSeconds: TTL_SECONDS }),
    getL1: (key) => two.get(k(key)),
    getL2: (key) => l2.get(k(key)),
    getOrLoad: (key, loader) => two.getOrLoad(k(key), loader, { ttl: TTL_SECONDS }),
    close: async () => { await two.close(); await l2.close(); },
  };
}

/** cache-manager 7 over Keyv 5: an in-memory Keyv in front of @keyv/redis (its documented multi-store setup). */
async function cacheManager({ redisUrl, prefix }) {
  const { createCache } = await import('cache-manager');
  const { Keyv } = await import('keyv');
  const { default: KeyvRedis } = await import('@keyv/redis');
  const namespace = `${prefix}cm`;
  const redisKeyv = () => new Keyv({ store: new KeyvRedis(redisUrl, { namespace }), namespace });
  const two = createCache({ stores: [new Keyv(), redisKeyv()], ttl: TTL_SECONDS * 1000 });
  const l2 = createCache({ stores: [redisKeyv()], ttl: TTL_SECONDS * 1000 });
  return {
    set: (key, value) => two.set(key, value),
    getL1: (key) => two.get(key),
    getL2: (key) => l2.get(key),
    getOrLoad: (key, loader) => two.wrap(key, loader),
    close: async () => { await two.disconnect(); await l2.disconnect(); },
  };
}

/** BentoCache 1.6: memory L1 + Redis L2 (ioredis 6 through the package's override), and an L2-only store. */
async function bentocache({ redisUrl, prefix }) {
  const { BentoCache, bentostore } = await import('bentocache');
  const { memoryDriver } = await import('bentocache/drivers/memory');
  const { redisDriver } = await import('bentocache/drivers/redis');
  const connection = redisOptions(redisUrl);
  const bento = new BentoCache({
    default: 'two',
    prefix: `${prefix}bento`,
    stores: {
      two: bentostore().useL1Layer(memoryDriver({ maxItems: 20_000 })).useL2Layer(redisDriver({ connection })),
      l2: bentostore().useL2Layer(redisDriver({ connection })),
    },
  });
  const two = bento.use('two');
  const l2 = bento.use('l2');
  return {
    set: (key, value) => two.set({ key, value, ttl: `${TTL_SECONDS}s` }),
    getL1: (key) => two.get({ key }),
    getL2: (key) => l2.get({ key }),
    getOrLoad: (key, loader) => two.getOrSet({ key, factory: loader, ttl: `${TTL_SECONDS}s` }),
    close: () => bento.disconnectAll(),
  };
}

/** The floor: ioredis 6 with auto-pipelining, GET + JSON.parse; no L1. */
async function rawIoredis({ redisUrl, prefix }) {
  const redis = new Redis(redisUrl, { enableAutoPipelining: true, commandTimeout: 1000, maxRetriesPerRequest: 1 });
  const p = `${prefix}raw:`;
  const get = async (key) => {
    const s = await redis.get(p + key);
    return s === null ? undefined : JSON.parse(s);
  };
  return {
    set: (key, value) => redis.set(p + key, JSON.stringify(value), 'EX', TTL_SECONDS),
    getL2: get,
    getOrLoad: async (key, loader) => {
      const hit = await get(key);
      if (hit !== undefined) return hit;
      const value = await loader();
      await redis.set(p + key, JSON.stringify(value), 'EX', TTL_SECONDS);
      return value;
    },
    close: async () => { await redis.quit(); },
  };
}

/** Adapter factories by variant name, in report order. */
export const LIBRARY_ADAPTERS = { ours, 'cache-manager': cacheManager, bentocache, 'raw-ioredis': rawIoredis };
