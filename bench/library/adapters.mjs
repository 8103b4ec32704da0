// One adapter per library for scenario 6, each configured the way its documentation recommends for a
// two-tier cache. Every adapter exposes the same four operations; one a library cannot do is left out and
// reported as "n/a". Keys live under the run's bench prefix and are removed by the harness afterwards.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';

const TTL_SECONDS = 60;
// The engine's own entry (`nestjs-tiered-cache/engine`): the root entry is the Nest layer.
const ourLibrary = fileURLToPath(new URL('../../dist/libs/redis-cache/src/engine.js', import.meta.url));

function redisOptions(url) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 6379) };
}

/** How many keys a batch operation (mget, mset, getOrLoadMany) carries. */
export const BATCH_SIZE = 20;

async function ourEngine() {
  if (!existsSync(ourLibrary)) throw new Error('dist/libs/redis-cache/src/engine.js missing (run npm run build)');
  const lib = await import(pathToFileURL(ourLibrary).href);
  if (typeof lib.CacheEngine !== 'function') throw new Error(`the library exports no CacheEngine (exports: ${Object.keys(lib).join(', ')})`);
  return lib.CacheEngine;
}

/**
 * Ours: CacheEngine from the compiled library, strict coherence, the invalidation bus on (two tiers, and an
 * L2-only twin for the L2 figures — a second member of the bus group, so every strict write waits for its ack).
 */
async function ours({ redisUrl, prefix }) {
  const CacheEngine = await ourEngine();
  // The same L1 bound as BentoCache's below: the `set` operation writes 10 000 other keys, and with our
  // default of 10 000 entries they evicted the read keyspace, so later `get, L1 hit` rounds read L2.
  const two = new CacheEngine({ redisUrl, keyPrefix: `${prefix}ours:`, l1: { enabled: true, maxEntries: 20_000 } });
  const l2 = new CacheEngine({ redisUrl, keyPrefix: `${prefix}ours:`, l1: { enabled: false } });
  await two.connect();
  await l2.connect();
  const k = (name) => two.key('bench', name);
  const loadMany = typeof two.getOrLoadMany === 'function';
  return {
    set: (key, value) => two.set(k(key), value, { ttlSeconds: TTL_SECONDS }),
    getL1: (key) => two.get(k(key)),
    getL2: (key) => l2.get(k(key)),
    getOrLoad: (key, loader) => two.getOrLoad(k(key), loader, { ttl: TTL_SECONDS }),
    mget: (keys) => l2.mget(keys.map(k)),
    mset: (keys, value) => two.mset(keys.map((key) => ({ key: k(key), value, ttlSeconds: TTL_SECONDS }))),
    getOrLoadMany: loadMany ? (keys, loader) => two.getOrLoadMany(keys.map(k), () => loader(keys), { ttl: TTL_SECONDS }) : undefined,
    close: async () => { await two.close(); await l2.close(); },
  };
}

/** Ours with the invalidation bus off (one instance, nobody to tell): the write and miss paths only. */
async function oursNoBus({ redisUrl, prefix }) {
  const CacheEngine = await ourEngine();
  const two = new CacheEngine({ redisUrl, keyPrefix: `${prefix}ours-nobus:`, bus: { enabled: false }, l1: { enabled: true, maxEntries: 20_000 } });
  await two.connect();
  const k = (name) => two.key('bench', name);
  return {
    set: (key, value) => two.set(k(key), value, { ttlSeconds: TTL_SECONDS }),
    getOrLoad: (key, loader) => two.getOrLoad(k(key), loader, { ttl: TTL_SECONDS }),
    close: () => two.close(),
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

/**
 * BentoCache 1.6: memory L1 + Redis L2 (ioredis 6 through the package's override), and an L2-only store;
 * `bus`: with its Redis bus (each write publishes so other instances drop their L1 copy).
 */
async function bentocacheWith({ redisUrl, prefix }, bus) {
  const { BentoCache, bentostore } = await import('bentocache');
  const { memoryDriver } = await import('bentocache/drivers/memory');
  const { redisDriver, redisBusDriver } = await import('bentocache/drivers/redis');
  const connection = redisOptions(redisUrl);
  const store = bentostore().useL1Layer(memoryDriver({ maxItems: 20_000 })).useL2Layer(redisDriver({ connection }));
  if (bus) store.useBus(redisBusDriver({ connection }));
  const bento = new BentoCache({
    default: 'two',
    prefix: `${prefix}bento${bus ? '-bus' : ''}`,
    stores: { two: store, l2: bentostore().useL2Layer(redisDriver({ connection })) },
  });
  const two = bento.use('two');
  const l2 = bento.use('l2');
  return {
    set: (key, value) => two.set({ key, value, ttl: `${TTL_SECONDS}s` }),
    getL1: bus ? undefined : (key) => two.get({ key }),
    getL2: bus ? undefined : (key) => l2.get({ key }),
    getOrLoad: (key, loader) => two.getOrSet({ key, factory: loader, ttl: `${TTL_SECONDS}s` }),
    close: () => bento.disconnectAll(),
  };
}

const bentocache = (options) => bentocacheWith(options, false);
const bentocacheBus = (options) => bentocacheWith(options, true);

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
    mget: async (keys) => (await redis.mget(keys.map((key) => p + key))).map((s) => (s === null ? undefined : JSON.parse(s))),
    close: async () => { await redis.quit(); },
  };
}

/** Adapter factories by variant name, in report order. */
export const LIBRARY_ADAPTERS = {
  ours, 'ours-nobus': oursNoBus, 'cache-manager': cacheManager, bentocache, 'bentocache-bus': bentocacheBus, 'raw-ioredis': rawIoredis,
};
