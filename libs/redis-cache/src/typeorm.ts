// `nestjs-tiered-cache/typeorm`: the cache-aside repository over TypeORM (needs the optional peer typeorm).
export {
  CachedRepository, type CachedRepositoryCache, type CachedRepositoryOptions, type EntityChanges,
} from './repository/cached-repository.js';
