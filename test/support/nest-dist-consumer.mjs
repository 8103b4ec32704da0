// A Nest app as a user writes it in plain JavaScript, run by node in a folder whose node_modules holds only
// the library's required peers (and the HTTP adapter the app chose). Prints one JSON line of findings.
import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module, Param, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { CacheInterceptor, Cacheable, CacheService, RedisCacheHealthIndicator, RedisCacheModule } from '@app/redis-cache';

const resolvable = (name) => { try { import.meta.resolve(name); return true; } catch { return false; } };
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
try {
  const first = await fetch(url);
  const second = await fetch(url);
  const body = await second.json();
  console.log(JSON.stringify({
    optionalPeersResolvable: ['@nestjs/terminus', 'typeorm', 'keyv', 'cache-manager', 'prom-client'].filter(resolvable),
    status: first.status,
    xCache: [first.headers.get('x-cache'), second.headers.get('x-cache')],
    body,
    runs,
    redisAvailable: app.get(CacheService).getStats().redisAvailable,
    healthError: await failure(() => app.get(RedisCacheHealthIndicator).isHealthy('cache')),
    metricsSubpathError: await failure(() => import('@app/redis-cache/metrics')),
  }));
} finally {
  await app.get(CacheService).clear();
  await app.close();
}
