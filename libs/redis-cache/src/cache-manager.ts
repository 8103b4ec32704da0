// `nestjs-tiered-cache/cache-manager`: a Keyv store over our tiers, for `@nestjs/cache-manager` and
// cache-manager 7 (needs the optional peer keyv).
export { RedisCacheKeyvStore, type KeyvStoreTarget, type RedisCacheKeyvStoreOptions } from './keyv/redis-cache-keyv.store.js';
