// `@app/redis-cache/typeorm`: the cache-aside repository over TypeORM (needs the optional peer typeorm).
export {
  CachedRepository, type CachedRepositoryCache, type CachedRepositoryOptions, type CachedWriteOptions,
} from './repository/cached-repository.js';
export { afterCommit, type DeferredCacheWork } from './repository/after-commit.js';
