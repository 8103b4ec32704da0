// installEntryFastPath on Express and Fastify, against real Redis: a permitted fresh hit is answered in front
// of Nest with exactly the response the interceptor gives; everything else reaches the app and its guard.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  BadRequestException, type CanActivate, Controller, type ExecutionContext, Get, Header, Headers, Injectable, Module,
  NotFoundException, Param, UnauthorizedException, UseGuards, UseInterceptors,
} from '@nestjs/common';
import {
  buildKey, CachedResource, CacheFromEntry, CacheInterceptor, CacheService, type EntryFastPath, type EntryFastPathRoute,
  installEntryFastPath, RedisCacheModule,
} from '@app/redis-cache';
import { ADAPTERS, type AdapterName, startNestApp, uniquePrefix } from './support/nest-test-app.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const TOKENS: Record<string, string> = { 'Bearer alice-token': 'alice', 'Bearer bob-token': 'bob' };
const ALICE = { Authorization: 'Bearer alice-token' };
const BOB = { Authorization: 'Bearer bob-token' };

/** The one rule the guard and the fast path share (as the jobs API shares `TokenRegistry.principalOf`). */
const principalOf = (authorization: unknown): string | undefined => (typeof authorization === 'string' ? TOKENS[authorization] : undefined);

interface Doc { id: string; owner: string; v: number }
let handlerRuns = 0;

@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (principalOf(context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization) === undefined) {
      throw new UnauthorizedException();
    }
    return true;
  }
}

const docKey = (id: string): string => buildKey('doc', id);

@Controller('docs')
@UseGuards(TokenGuard)
@UseInterceptors(CacheInterceptor)
class DocsController {
  constructor(private readonly cache: CacheService) {}

  @Get(':id')
  @CacheFromEntry()
  @Header('Cache-Control', 'private, no-cache')
  async get(@Param('id') id: string, @Headers('authorization') authorization: string): Promise<CachedResource<Doc>> {
    handlerRuns += 1;
    if (!/^[1-9][0-9]{0,6}$/.test(id)) throw new BadRequestException('bad id');
    const key = this.cache.key('doc', id);
    const result = await this.cache.getOrLoad<Doc>(key, async () => (id === '404' ? undefined : { id, owner: 'alice', v: 1 }), { version: (d) => d.v });
    const resource = CachedResource.from(key, result);
    if (!resource || resource.value.owner !== principalOf(authorization)) throw new NotFoundException();
    return resource;
  }
}

let allowThrows = false;
const docRoute: EntryFastPathRoute = {
  path: /^\/docs\/([1-9][0-9]{0,6})$/,
  entryKey: (match) => docKey(match[1]),
  allow: (request, value) => {
    if (allowThrows) throw new Error('allow failed');
    return principalOf(request.headers.authorization) === (value as Doc).owner;
  },
  headers: { 'cache-control': 'private, no-cache' },
};

describe.each(ADAPTERS)('installEntryFastPath on %s', (adapter: AdapterName) => {
  const prefix = uniquePrefix(`fast-${adapter}`);
  const apps: Array<Awaited<ReturnType<typeof startNestApp>>> = [];
  let withFast: Awaited<ReturnType<typeof startNestApp>>;
  let plain: Awaited<ReturnType<typeof startNestApp>>;
  let l2Only: Awaited<ReturnType<typeof startNestApp>>;
  let fast: EntryFastPath;
  let fastL2: EntryFastPath;

  const start = async (l1: boolean, install: boolean): Promise<{ started: Awaited<ReturnType<typeof startNestApp>>; fastPath?: EntryFastPath }> => {
    @Module({
      imports: [RedisCacheModule.forRoot({ isGlobal: true, redisUrl: REDIS_URL, keyPrefix: prefix, defaultTtlSeconds: 30, l1: { enabled: l1 } })],
      controllers: [DocsController],
    })
    class FastPathTestModule {}
    let fastPath: EntryFastPath | undefined;
    const started = await startNestApp(FastPathTestModule, adapter, install
      ? (app) => { fastPath = installEntryFastPath(app, { cache: app.get(CacheService), routes: [docRoute] }); }
      : undefined);
    apps.push(started);
    return { started, fastPath };
  };

  beforeAll(async () => {
    ({ started: withFast, fastPath: fast } = await start(true, true) as { started: typeof withFast; fastPath: EntryFastPath });
    ({ started: plain } = await start(true, false));
    ({ started: l2Only, fastPath: fastL2 } = await start(false, true) as { started: typeof l2Only; fastPath: EntryFastPath });
  });
  afterAll(async () => {
    await withFast.app.get(CacheService).clear();
    for (const { app } of apps) await app.close();
  });
  beforeEach(async () => {
    allowThrows = false;
    await withFast.app.get(CacheService).clear();
  });

  it('answers a permitted hit before Nest, with the response the interceptor gives for it', async () => {
    const miss = await withFast.http().get('/docs/7').set(ALICE);
    expect(miss.status).toBe(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    const answeredBefore = fast.answered;
    const runsBefore = handlerRuns;
    const hit = await withFast.http().get('/docs/7').set(ALICE);
    expect(fast.answered).toBe(answeredBefore + 1);
    expect(handlerRuns).toBe(runsBefore);
    // The same hit through Nest (an app without the fast path on the same Redis): same status, body, headers.
    const viaNest = await plain.http().get('/docs/7').set(ALICE);
    expect(viaNest.headers['x-cache']).toBe('HIT');
    expect(hit.status).toBe(viaNest.status);
    expect(hit.text).toBe(viaNest.text);
    expect(JSON.parse(hit.text)).toEqual({ id: '7', owner: 'alice', v: 1 });
    for (const name of ['x-cache', 'etag', 'cache-control', 'content-type', 'content-length']) {
      expect([name, hit.headers[name]]).toEqual([name, viaNest.headers[name]]);
    }
    expect(hit.headers.age).toMatch(/^\d+$/);
  });

  it('answers 304 for a matching If-None-Match, and a query string does not change the entry', async () => {
    const first = await withFast.http().get('/docs/8').set(ALICE);
    const answered = fast.answered;
    const notModified = await withFast.http().get('/docs/8').set(ALICE).set('If-None-Match', first.headers.etag);
    expect(notModified.status).toBe(304);
    expect(notModified.text ?? '').toBe('');
    expect(notModified.headers.etag).toBe(first.headers.etag);
    const withQuery = await withFast.http().get('/docs/8?fresh=1').set(ALICE);
    expect(withQuery.status).toBe(200);
    expect(withQuery.headers['x-cache']).toBe('HIT');
    expect(fast.answered).toBe(answered + 2);
  });

  it('never answers for the guard: no token, an unknown token and another owner reach the app (401, 401, 404)', async () => {
    await withFast.http().get('/docs/9').set(ALICE);
    const answered = fast.answered;
    expect((await withFast.http().get('/docs/9')).status).toBe(401);
    expect((await withFast.http().get('/docs/9').set({ Authorization: 'Bearer forged' })).status).toBe(401);
    const runs = handlerRuns;
    expect((await withFast.http().get('/docs/9').set(BOB)).status).toBe(404);
    expect(handlerRuns).toBe(runs + 1);
    expect(fast.answered).toBe(answered);
  });

  it('hands on what is not a fresh permitted hit: a miss, an unmatched path, another method, an allow that throws', async () => {
    const answered = fast.answered;
    const runs = handlerRuns;
    expect((await withFast.http().get('/docs/10').set(ALICE)).headers['x-cache']).toBe('MISS');
    expect((await withFast.http().get('/docs/404').set(ALICE)).status).toBe(404);
    expect((await withFast.http().get('/docs/x1').set(ALICE)).status).toBe(400);
    expect((await withFast.http().head('/docs/10').set(ALICE)).status).toBe(200);
    allowThrows = true;
    const afterThrow = await withFast.http().get('/docs/10').set(ALICE);
    expect(afterThrow.status).toBe(200);
    expect(afterThrow.headers['x-cache']).toBe('HIT'); // answered by the interceptor, not the fast path
    expect(fast.answered).toBe(answered);
    expect(handlerRuns).toBeGreaterThanOrEqual(runs + 3);
  });

  it('answers from L2 when L1 holds nothing (L1 off), with the body as stored', async () => {
    await withFast.http().get('/docs/11').set(ALICE);
    const answered = fastL2.answered;
    const hit = await l2Only.http().get('/docs/11').set(ALICE);
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(JSON.parse(hit.text)).toEqual({ id: '11', owner: 'alice', v: 1 });
    expect(fastL2.answered).toBe(answered + 1);
    expect(l2Only.app.get(CacheService).getStats().l2Hits).toBeGreaterThan(0);
  });

  it('counts each request once: a handed-on miss by the app, a fast-path hit by the fast path', async () => {
    const cache = withFast.app.get(CacheService);
    cache.resetStats();
    await withFast.http().get('/docs/13').set(ALICE);
    const afterMiss = cache.getStats();
    expect({ misses: afterMiss.misses, l1Hits: afterMiss.l1Hits, l2Hits: afterMiss.l2Hits, l2Misses: afterMiss.l2Misses, loads: afterMiss.loads })
      .toEqual({ misses: 1, l1Hits: 0, l2Hits: 0, l2Misses: 1, loads: 1 });
    await withFast.http().get('/docs/13').set(ALICE);
    const afterHit = cache.getStats();
    expect({ misses: afterHit.misses, l1Hits: afterHit.l1Hits }).toEqual({ misses: 1, l1Hits: 1 });
    // Refused by `allow`: handed on, and the app's own read is the one counted (a hit, then its 404).
    expect((await withFast.http().get('/docs/13').set(BOB)).status).toBe(404);
    expect(cache.getStats()).toMatchObject({ misses: 1, l1Hits: 2, l1Bypassed: 0 });
  });

  it('after an update, answers the new version at once (never the old one)', async () => {
    const cache = withFast.app.get(CacheService);
    const first = await withFast.http().get('/docs/12').set(ALICE);
    await cache.set(docKey('12'), { id: '12', owner: 'alice', v: 2 }, { version: 2 });
    const after = await withFast.http().get('/docs/12').set(ALICE);
    expect(JSON.parse(after.text)).toMatchObject({ v: 2 });
    expect(after.headers.etag).not.toBe(first.headers.etag);
    const elsewhere = await l2Only.http().get('/docs/12').set(ALICE);
    expect(JSON.parse(elsewhere.text)).toMatchObject({ v: 2 });
  });
});
