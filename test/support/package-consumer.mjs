// A Nest app as a user writes it in plain JavaScript, run by node in a folder whose node_modules holds the
// packed library and only its required peers (and the HTTP adapter the app chose). LOAD=require loads the
// library through Node's CommonJS loader (the `default` export condition, `require(esm)`), as a CommonJS
// app does; otherwise through `import`. Prints one JSON line of findings.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { Controller, Get, Inject, Injectable, Module, Param, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';

const require = createRequire(import.meta.url);
const load = (name) => (process.env.LOAD === 'require' ? Promise.resolve().then(() => require(name)) : import(name));
const {
  CacheInterceptor, Cacheable, CacheService, RedisCacheHealthIndicator, RedisCacheModule, REDIS_CACHE_VERSION,
} = await load('nestjs-tiered-cache');

const resolvable = (name) => { try { require.resolve(name); return true; } catch { return false; } };
const failure = async (fn) => { try { await fn(); return null; } catch (error) { return error.code ?? String(error); } };

let runs = 0;
class GreetingService {
  async greet(name) { runs += 1; return { text: `hello ${name}`, run: runs }; }
}
Reflect.decorate([Cacheable({ namespace: 'greeting', key: (name) => name, ttl: 60 })], GreetingService.prototype, 'greet',
  Object.getOwnPropertyDescriptor(GreetingService.prototype, 'greet'));
Reflect.decorate([Injectable()], GreetingService);

class HelloController {
  constructor(greetings) { this.greetings = greetings; }
  hello(name) { return this.greetings.greet(name); }
}
Param('name')(HelloController.prototype, 'hello', 0);
Reflect.decorate([Get(':name')], HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'));
Inject(GreetingService)(HelloController, undefined, 0);
Reflect.decorate([Controller('hello'), UseInterceptors(CacheInterceptor)], HelloController);

class AppModule {}
Reflect.decorate([Module({
  imports: [RedisCacheModule.forRoot({ isGlobal: true, redisUrl: process.env.REDIS_URL, keyPrefix: process.env.KEY_PREFIX })],
  controllers: [HelloController],
  providers: [GreetingService],
})], AppModule);

const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
await app.listen(0, '127.0.0.1');
const url = `${await app.getUrl()}/hello/ada`;
// Under strict coherence nothing is cached until this instance holds its bus lease and trusts the cache: a
// second or two after start on a loaded machine. The findings are about the package, not that wait.
const cache = app.get(CacheService);
for (let waited = 0; waited < 10_000 && !(cache.getStats().bus.state === 'live' && cache.getStats().bus.trusted); waited += 50) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
try {
  const first = await fetch(url);
  const second = await fetch(url);
  const body = await second.json();
  console.log(JSON.stringify({
    version: REDIS_CACHE_VERSION,
    optionalPeersResolvable: ['@nestjs/terminus', 'typeorm', 'keyv', 'cache-manager', 'prom-client'].filter(resolvable),
    status: first.status,
    xCache: [first.headers.get('x-cache'), second.headers.get('x-cache')],
    body,
    runs,
    redisAvailable: app.get(CacheService).getStats().redisAvailable,
    healthError: await failure(() => app.get(RedisCacheHealthIndicator).isHealthy('cache')),
    metricsSubpathError: await failure(() => load('nestjs-tiered-cache/metrics')),
  }));
} finally {
  await app.get(CacheService).clear();
  await app.close();
}
