// `nestjs-tiered-cache/engine`: the cache without Nest — plain TypeScript over ioredis and lru-cache (two tiers,
// the invalidation bus, the breaker), and the key builder every key of the library goes through.
export { CacheEngine } from './engine/cache-engine.js';
export { buildKey, encodeKeyPart, escapeGlob } from './engine/key-builder.js';
export { validateRedisUrl } from './engine/redis-url.js';
export type * from './engine/cache.types.js';
export type { ManyLoader } from './engine/batch-loader.js';
export * from './engine/cache.errors.js';
