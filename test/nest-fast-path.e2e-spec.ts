// @CacheFastPath against real Redis: the hook is attached from Nest's route table (global prefix, URI
// versioning), answers a permitted fresh hit with exactly the pipeline's response, never answers for a guard
// (global, controller or handler) that would refuse, charges a counting guard once, falls through when a
// check throws, and the app refuses to start when a guard of the route cannot take part. Express: none.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  type CanActivate, Controller, type ExecutionContext, ForbiddenException, Get, Header, type INestApplication, Injectable, Module,
  NotFoundException, Param, Req, UnauthorizedException, UseGuards, UseInterceptors, VersioningType,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication, RouteConfig } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  admittedOnFastPath, CachedResource, CacheFastPath, CacheFromEntry, CacheInterceptor, CacheService, type FastPathGuard,
  type FastPathRequest, FastPathRouter, RedisCacheModule,
} from 'nestjs-tiered-cache';
import { CapturingLogger } from './support/capturing-logger.js';
import { uniquePrefix } from './support/nest-test-app.js';

const TOKENS: Record<string, string> = { 'Bearer alice': 'alice', 'Bearer bob': 'bob' };
const ALICE = { Authorization: 'Bearer alice' };
const BOB = { Authorization: 'Bearer bob' };

interface Doc { id: string; owner: string; v: number }
type DocRequest = FastPathRequest & { user?: string };
const seen = { handler: 0, charges: 0 };

/** Global: who is calling (the fast check throws on `x-throw: token`, to test a failing check). */
@Injectable()
class TokenGuard implements CanActivate, FastPathGuard {
  private userOf(context: ExecutionContext): string | undefined {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: string }>();
    req.user = TOKENS[req.headers.authorization ?? ''];
    return req.user;
  }
  canActivateFastPath(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-throw'] === 'token') throw new Error('fast check failed');
    return this.userOf(context) !== undefined;
  }
  canActivate(context: ExecutionContext): boolean {
    if (this.userOf(context) === undefined) throw new UnauthorizedException();
    return true;
  }
}

/** Controller-level: refuses a request carrying `x-blocked`. */
@Injectable()
class BlockGuard implements CanActivate, FastPathGuard {
  canActivateFastPath(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers['x-blocked'] === undefined;
  }
  canActivate(context: ExecutionContext): boolean {
    if (!this.canActivateFastPath(context)) throw new ForbiddenException('blocked');
    return true;
  }
}

/** Handler-level: a rate limiter's shape — it charges each request exactly once, whoever answers it. */
@Injectable()
class CountingGuard implements CanActivate, FastPathGuard {
  canActivateFastPath(): boolean {
    seen.charges += 1;
    return true;
  }
  canActivate(context: ExecutionContext): boolean {
    if (admittedOnFastPath(context, this)) return true;
    seen.charges += 1;
    return true;
  }
}

/** A guard of the old kind, with no fast check. */
@Injectable()
class LegacyGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

async function readDoc(cache: CacheService, id: string, user: string | undefined): Promise<CachedResource<Doc>> {
  seen.handler += 1;
  const key = cache.key('doc', id);
  const result = await cache.getOrLoad<Doc>(key, async () => (id === '404' ? undefined : { id, owner: 'alice', v: 1 }), { version: (d) => d.v });
  const resource = CachedResource.from(key, result);
  if (!resource || resource.value.owner !== user) throw new NotFoundException();
  return resource;
}

@Controller({ path: 'docs', version: '1' })
@UseGuards(BlockGuard)
@UseInterceptors(CacheInterceptor)
class DocsController {
  constructor(private readonly cache: CacheService) {}

  @Get(':id')
  @UseGuards(CountingGuard)
  @CacheFastPath<DocRequest, Doc>({ namespace: 'doc', key: (req) => req.params.id, visible: (req, doc) => req.user === doc.owner })
  @Header('Cache-Control', 'private, no-cache')
  get(@Param('id') id: string, @Req() req: { user?: string }): Promise<CachedResource<Doc>> {
    return readDoc(this.cache, id, req.user);
  }
}

/** The same entries without a fast path: what the pipeline answers for a hit. */
@Controller({ path: 'plain-docs', version: '1' })
@UseGuards(BlockGuard)
@UseInterceptors(CacheInterceptor)
class PlainDocsController {
  constructor(private readonly cache: CacheService) {}

  @Get(':id')
  @UseGuards(CountingGuard)
  @CacheFromEntry()
  @Header('Cache-Control', 'private, no-cache')
  get(@Param('id') id: string, @Req() req: { user?: string }): Promise<CachedResource<Doc>> {
    return readDoc(this.cache, id, req.user);
  }
}

interface Booted { app: INestApplication; http: () => ReturnType<typeof request>; logs: CapturingLogger }

/** Boots `controllers` (+ `providers`) with the cache module, prefix `api` and URI versioning. */
async function boot(adapter: 'fastify' | 'express', controllers: unknown[], providers: unknown[] = [{ provide: APP_GUARD, useClass: TokenGuard }]): Promise<Booted> {
  @Module({
    imports: [RedisCacheModule.forRoot({ isGlobal: true, redisUrl: 'redis://127.0.0.1:6379', keyPrefix: uniquePrefix(`fp-${adapter}`) })],
    controllers: controllers as never[],
    providers: [BlockGuard, CountingGuard, LegacyGuard, ...(providers as never[])],
  })
  class FastPathTestModule {}
  const logs = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({ imports: [FastPathTestModule] }).setLogger(logs).compile();
  const app = adapter === 'express'
    ? moduleRef.createNestApplication(new ExpressAdapter(), { logger: logs })
    : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: logs });
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI });
  try {
    await app.init();
    if (adapter === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  } catch (error) {
    await app.close();
    throw error;
  }
  return { app, http: () => request(app.getHttpServer()), logs };
}

describe('@CacheFastPath on Fastify', () => {
  let b: Booted;
  let router: FastPathRouter;
  let cache: CacheService;

  beforeAll(async () => {
    b = await boot('fastify', [DocsController, PlainDocsController]);
    router = b.app.get(FastPathRouter);
    cache = b.app.get(CacheService);
  });
  afterAll(async () => {
    await cache?.clear();
    await b?.app.close();
  });
  beforeEach(() => {
    cache.resetStats();
  });

  it('is attached to exactly the marked route, as Nest registered it (global prefix, version), with every guard', () => {
    expect(router.stats().routes).toEqual(['GET /api/v1/docs/:id (DocsController.get)']);
    expect(b.logs.text).toContain('fast path on GET /api/v1/docs/:id (DocsController.get), guarded by TokenGuard, BlockGuard, CountingGuard');
  });

  it('answers a permitted hit before Nest with the response the pipeline gives for it, counted once', async () => {
    const miss = await b.http().get('/api/v1/docs/7').set(ALICE);
    expect([miss.status, miss.headers['x-cache']]).toEqual([200, 'MISS']);
    expect(cache.getStats()).toMatchObject({ misses: 1, hits: 0 });
    const { answered } = router.stats();
    const runs = seen.handler;
    const hit = await b.http().get('/api/v1/docs/7').set(ALICE);
    expect(router.stats().answered).toBe(answered + 1);
    expect(seen.handler).toBe(runs);
    expect(cache.getStats()).toMatchObject({ misses: 1, hits: 1, l1Hits: 1 });
    const viaNest = await b.http().get('/api/v1/plain-docs/7').set(ALICE);
    expect(seen.handler).toBe(runs + 1);
    expect(viaNest.headers['x-cache']).toBe('HIT');
    expect([hit.status, hit.text]).toEqual([viaNest.status, viaNest.text]);
    expect(JSON.parse(hit.text)).toEqual({ id: '7', owner: 'alice', v: 1 });
    for (const name of ['x-cache', 'etag', 'cache-control', 'content-type', 'content-length']) {
      expect([name, hit.headers[name]]).toEqual([name, viaNest.headers[name]]);
    }
    expect(hit.headers.age).toMatch(/^\d+$/);
    const notModified = await b.http().get('/api/v1/docs/7').set(ALICE).set('If-None-Match', String(hit.headers.etag));
    expect([notModified.status, notModified.text ?? '']).toEqual([304, '']);
    expect(router.stats().answered).toBe(answered + 2);
  });

  it('never answers for a guard that refuses — global (401), controller (403) — nor for a caller the handler refuses (404)', async () => {
    await b.http().get('/api/v1/docs/9').set(ALICE);
    const { answered } = router.stats();
    expect((await b.http().get('/api/v1/docs/9')).status).toBe(401);
    expect((await b.http().get('/api/v1/docs/9').set({ Authorization: 'Bearer forged' })).status).toBe(401);
    expect((await b.http().get('/api/v1/docs/9').set(ALICE).set('x-blocked', '1')).status).toBe(403);
    const runs = seen.handler;
    expect((await b.http().get('/api/v1/docs/9').set(BOB)).status).toBe(404);
    expect(seen.handler).toBe(runs + 1);
    expect(router.stats().answered).toBe(answered);
  });

  it('charges a counting guard once per request, whether the fast path answers it or hands it on', async () => {
    let before = seen.charges;
    await b.http().get('/api/v1/docs/21').set(ALICE); // a miss: admitted by its fast check, then handed on
    expect(seen.charges).toBe(before + 1);
    before = seen.charges;
    await b.http().get('/api/v1/docs/21').set(ALICE); // a hit, answered early
    expect(seen.charges).toBe(before + 1);
    before = seen.charges;
    await b.http().get('/api/v1/docs/21').set(BOB); // admitted, not visible: handed on, 404
    expect(seen.charges).toBe(before + 1);
  });

  it('hands on when a check throws: counted and logged (never the request), answered by the pipeline', async () => {
    await b.http().get('/api/v1/docs/31').set(ALICE);
    const { answered, checkErrors } = router.stats();
    const res = await b.http().get('/api/v1/docs/31').set(ALICE).set('x-throw', 'token');
    expect([res.status, res.headers['x-cache']]).toEqual([200, 'HIT']);
    expect(router.stats()).toMatchObject({ answered, checkErrors: checkErrors + 1 });
    expect(b.logs.text).toMatch(/fast path on GET \/api\/v1\/docs\/:id \(DocsController\.get\): a check threw Error; handed on/);
    expect(b.logs.text).not.toContain('Bearer alice');
  });

  it('hands on what is not a fresh hit in memory: a miss, a cached "not found", a HEAD, another route', async () => {
    const { answered, handedOn } = router.stats();
    expect((await b.http().get('/api/v1/docs/41').set(ALICE)).headers['x-cache']).toBe('MISS');
    expect((await b.http().get('/api/v1/docs/404').set(ALICE)).status).toBe(404);
    expect((await b.http().head('/api/v1/docs/41').set(ALICE)).status).toBe(200);
    expect((await b.http().get('/api/v1/plain-docs/41').set(ALICE)).headers['x-cache']).toBe('HIT');
    expect(router.stats().answered).toBe(answered);
    expect(router.stats().handedOn).toBeGreaterThanOrEqual(handedOn + 2);
  });
});

describe('@CacheFastPath refuses to start unless every guard of the route takes part', () => {
  @Controller({ path: 'strict', version: '1' })
  @UseGuards(LegacyGuard)
  @UseInterceptors(CacheInterceptor)
  class StrictController {
    @Get(':id')
    @CacheFastPath({ namespace: 'doc', key: (req) => req.params.id })
    get(): undefined {
      return undefined;
    }
  }

  @Controller({ path: 'bare', version: '1' })
  class BareController {
    @Get(':id')
    @CacheFastPath({ namespace: 'doc', key: (req) => req.params.id })
    get(): undefined {
      return undefined;
    }
  }

  @Controller({ path: 'configured', version: '1' })
  @UseInterceptors(CacheInterceptor)
  class ConfiguredController {
    @Get('below/:id')
    @CacheFastPath({ namespace: 'doc', key: (req) => req.params.id })
    @RouteConfig({ audit: true })
    below(): undefined {
      return undefined;
    }

    @Get('above/:id')
    @RouteConfig({ audit: true })
    @CacheFastPath({ namespace: 'doc', key: (req) => req.params.id })
    above(): undefined {
      return undefined;
    }
  }

  it('a @RouteConfig() that replaced the mark in the route config (written above @CacheFastPath); below it, both hold', async () => {
    await expect(boot('fastify', [ConfiguredController])).rejects.toMatchObject({
      code: 'E_CACHE_CONFIG', message: expect.stringContaining('@CacheFastPath on ConfiguredController.above: the mark is gone'),
    });
  });

  it('a controller guard without canActivateFastPath: the route and the guard are named', async () => {
    await expect(boot('fastify', [StrictController])).rejects.toMatchObject({
      code: 'E_CACHE_CONFIG',
      message: expect.stringMatching(/GET \/api\/v1\/strict\/:id \(StrictController\.get\).*guard LegacyGuard has no canActivateFastPath/),
    });
  });

  it('a global guard (APP_GUARD) without one', async () => {
    await expect(boot('fastify', [DocsController], [{ provide: APP_GUARD, useClass: LegacyGuard }])).rejects.toMatchObject({
      code: 'E_CACHE_CONFIG', message: expect.stringContaining('guard LegacyGuard has no canActivateFastPath'),
    });
  });

  it('a route not under CacheInterceptor', async () => {
    await expect(boot('fastify', [BareController])).rejects.toMatchObject({
      code: 'E_CACHE_CONFIG', message: expect.stringContaining('GET /api/v1/bare/:id (BareController.get): the route is not under CacheInterceptor'),
    });
  });
});

describe('@CacheFastPath on Express', () => {
  it('has no fast path: said once at start; the pipeline (guards, interceptor, handler) answers every request', async () => {
    const b = await boot('express', [DocsController]);
    try {
      expect(b.app.get(FastPathRouter).stats().routes).toEqual([]);
      expect(b.logs.lines.filter((l) => l.includes('@CacheFastPath: no fast path on this HTTP adapter'))).toHaveLength(1);
      expect(b.logs.text).toContain('DocsController.get run the full pipeline');
      await b.http().get('/api/v1/docs/51').set(ALICE);
      const runs = seen.handler;
      const hit = await b.http().get('/api/v1/docs/51').set(ALICE);
      expect([hit.status, hit.headers['x-cache'], seen.handler]).toEqual([200, 'HIT', runs + 1]);
      expect((await b.http().get('/api/v1/docs/51')).status).toBe(401);
    } finally {
      await b.app.get(CacheService).clear();
      await b.app.close();
    }
  });
});
