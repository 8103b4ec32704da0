// What a Nest user picks today: @nestjs/cache-manager's CacheInterceptor on the GET route, cache-manager 7
// over Keyv 5 + @keyv/redis, same TTL, and the cached URL deleted after a progress update.
import { Inject, UseInterceptors } from '@nestjs/common';
import { CACHE_MANAGER, CacheInterceptor, CacheModule } from '@nestjs/cache-manager';
import KeyvRedis from '@keyv/redis';
import { listenFastify, requiredEnv, rootModule } from './nest-app.mjs';
import { jobsController, typeormImports } from './typeorm-jobs.mjs';

const namespace = requiredEnv('CACHE_PREFIX');
const ttlMs = Number(process.env.CACHE_TTL_SECONDS ?? 30) * 1000;

const cacheModule = CacheModule.register({
  stores: [new KeyvRedis(requiredEnv('REDIS_URL'), { namespace })],
  namespace,
  ttl: ttlMs,
});

const controller = jobsController({
  extraInjections: [Inject(CACHE_MANAGER)],
  // CacheInterceptor keys a GET by its URL: invalidate exactly that after the write.
  afterUpdate: async (self, id) => { await self.extras[0].del(`/api/v2/jobs/${id}`); },
  decorators: [UseInterceptors(CacheInterceptor)],
});

await listenFastify(rootModule({ imports: [...typeormImports(), cacheModule], controllers: [controller] }));
