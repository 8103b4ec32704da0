import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Header, Headers, HttpCode, Module, NotFoundException, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { Redis } from 'ioredis';
import {
  CachedResource, CacheFromEntry, CacheInterceptor, CacheKey, CacheService, CacheTags, CacheTTL, NoCache, RedisCacheModule,
} from 'nestjs-tiered-cache';
import { ADAPTERS, type AdapterName, startNestApp, uniquePrefix } from './support/nest-test-app.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** Every key matching `pattern` (SCAN, never KEYS). */
async function scanKeys(pattern: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL, { commandTimeout: 1000, maxRetriesPerRequest: 0 });
  const keys: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return keys;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts handler runs per route, so a test can tell a cached answer from a computed one. */
class Calls {
  readonly counts = new Map<string, number>();
  hit(route: string): number {
    const n = (this.counts.get(route) ?? 0) + 1;
    this.counts.set(route, n);
    return n;
  }
  of(route: string): number {
    return this.counts.get(route) ?? 0;
  }
}
const calls = new Calls();

@Controller('items')
@UseInterceptors(CacheInterceptor)
class ItemsController {
  constructor(private readonly cache: CacheService) {}

  @Get('slow/:id')
  async slow(@Param('id') id: string) {
    await sleep(150);
    return { id, n: calls.hit(`slow:${id}`) };
  }

  @Get('error')
  error(): never {
    calls.hit('error');
    throw new NotFoundException('nothing here');
  }

  @Get('cookie')
  @Header('Set-Cookie', 'session=abc')
  cookie() {
    return { n: calls.hit('cookie') };
  }

  @Get('nostore')
  @Header('Cache-Control', 'no-store')
  noStore() {
    return { n: calls.hit('nostore') };
  }

  @Get('private')
  @Header('Cache-Control', 'private, no-cache')
  privateOne() {
    return { n: calls.hit('private') };
  }

  @Get('accepted')
  @HttpCode(202)
  accepted() {
    return { n: calls.hit('accepted') };
  }

  @Get('never')
  @NoCache()
  never() {
    return { n: calls.hit('never') };
  }

  @Get('short')
  @CacheTTL(1)
  short() {
    return { n: calls.hit('short') };
  }

  @Get('custom/:id')
  @CacheKey('the-one-key')
  custom(@Param('id') id: string) {
    return { id, n: calls.hit('custom') };
  }

  @Get('tagged')
  @CacheTags(['items'])
  tagged() {
    return { n: calls.hit('tagged') };
  }

  @Get('entry/:id')
  @CacheFromEntry()
  async entry(@Param('id') id: string) {
    const key = this.cache.key('thing', id);
    const result = await this.cache.getOrLoad(key, async () => ({ id, v: 1, n: calls.hit(`entry:${id}`) }), { version: (t) => t.v });
    const resource = CachedResource.from(key, result);
    if (!resource) throw new NotFoundException();
    return resource;
  }

  /** An owned entity: the handler runs on every request and checks ownership on the entry it read. */
  @Get('owned/:id')
  @CacheFromEntry()
  async owned(@Param('id') id: string, @Headers('authorization') authorization: string) {
    calls.hit(`owned:${id}`);
    const key = this.cache.key('owned', id);
    const result = await this.cache.getOrLoad(key, async () => ({ id, owner: 'Bearer token-of-alice', v: 1 }), { version: (t) => t.v });
    const resource = CachedResource.from(key, result);
    if (!resource || resource.value.owner !== authorization) throw new NotFoundException();
    return resource;
  }

  @Get('text')
  text() {
    return `plain ${calls.hit('text')}`;
  }

  @Get(':id')
  get(@Param('id') id: string, @Query() query: Record<string, string>) {
    return { id, query, n: calls.hit(`get:${id}`) };
  }

  @Post(':id')
  post(@Param('id') id: string) {
    return { id, n: calls.hit(`post:${id}`) };
  }
}

describe.each(ADAPTERS)('CacheInterceptor on %s', (adapter: AdapterName) => {
  const prefix = uniquePrefix(`http-${adapter}`);
  let started: Awaited<ReturnType<typeof startNestApp>>;
  let cache: CacheService;
  const A = { Authorization: 'Bearer token-of-alice' };
  const B = { Authorization: 'Bearer token-of-bob' };

  beforeAll(async () => {
    @Module({
      imports: [RedisCacheModule.forRoot({ isGlobal: true, redisUrl: REDIS_URL, keyPrefix: prefix, defaultTtlSeconds: 30 })],
      controllers: [ItemsController],
    })
    class TestAppModule {}
    started = await startNestApp(TestAppModule, adapter);
    cache = started.app.get(CacheService);
  });
  afterAll(async () => {
    await cache.clear();
    await started.app.close();
  });
  beforeEach(async () => {
    calls.counts.clear();
    await cache.clear();
  });

  it('answers MISS, then HIT from the entry with the same body, ETag and an Age; 304 for a matching If-None-Match', async () => {
    const first = await started.http().get('/items/1').set(A);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    expect(first.headers.etag).toMatch(/^"[^"]+"$/);
    expect(first.headers.age).toBeUndefined();
    const second = await started.http().get('/items/1').set(A);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.body).toEqual(first.body);
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.headers.age).toMatch(/^\d+$/);
    expect(second.headers['content-type']).toMatch(/application\/json/);
    const notModified = await started.http().get('/items/1').set(A).set('If-None-Match', `W/${first.headers.etag}`);
    expect(notModified.status).toBe(304);
    expect(notModified.text ?? '').toBe('');
    expect(notModified.headers.etag).toBe(first.headers.etag);
    expect(calls.of('get:1')).toBe(1);
  });

  it('shares one entry across spellings of a path and orders of a query', async () => {
    await started.http().get('/items/2?b=2&a=1').set(A);
    const res = await started.http().get('/items/%32?a=1&b=2').set(A);
    expect(res.headers['x-cache']).toBe('HIT');
    expect(res.body.query).toEqual({ a: '1', b: '2' });
    const other = await started.http().get('/items/2?a=1&b=3').set(A);
    expect(other.headers['x-cache']).toBe('MISS');
  });

  it("never answers one principal from another's entry; anonymous requests share; cookie-only requests bypass", async () => {
    const alice = await started.http().get('/items/3').set(A);
    const bob = await started.http().get('/items/3').set(B);
    expect(bob.headers['x-cache']).toBe('MISS');
    expect(bob.body.n).not.toBe(alice.body.n);
    expect((await started.http().get('/items/3').set(A)).body.n).toBe(alice.body.n);
    const anon1 = await started.http().get('/items/3');
    const anon2 = await started.http().get('/items/3');
    expect([anon1.headers['x-cache'], anon2.headers['x-cache']]).toEqual(['MISS', 'HIT']);
    const withCookie = await started.http().get('/items/3').set('Cookie', 'sid=1');
    expect(withCookie.headers['x-cache']).toBe('BYPASS');
    expect(calls.of('get:3')).toBe(4);
  });

  it('does not let credentials reach a Redis key', async () => {
    await started.http().get('/items/4').set(A);
    const keys = await scanKeys(`${prefix}*`);
    {
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.join('\n')).not.toContain('alice');
    }
  });

  it('never caches errors, non-200 statuses, Set-Cookie or no-store responses', async () => {
    for (let i = 0; i < 2; i++) {
      expect((await started.http().get('/items/error').set(A)).status).toBe(404);
      const cookie = await started.http().get('/items/cookie').set(A);
      expect(cookie.headers['x-cache']).toBe('BYPASS');
      expect((await started.http().get('/items/nostore').set(A)).headers['x-cache']).toBe('BYPASS');
      const accepted = await started.http().get('/items/accepted').set(A);
      expect(accepted.status).toBe(202);
    }
    expect([calls.of('error'), calls.of('cookie'), calls.of('nostore'), calls.of('accepted')]).toEqual([2, 2, 2, 2]);
  });

  it('caches Cache-Control: private only per principal, never in the shared scope', async () => {
    await started.http().get('/items/private').set(A);
    const again = await started.http().get('/items/private').set(A);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.headers['cache-control']).toBe('private, no-cache');
    await started.http().get('/items/private');
    expect((await started.http().get('/items/private')).headers['x-cache']).toBe('BYPASS');
    expect(calls.of('private')).toBe(3);
  });

  it('bypasses @NoCache routes and non-GET methods', async () => {
    expect((await started.http().get('/items/never').set(A)).headers['x-cache']).toBe('BYPASS');
    expect((await started.http().get('/items/never').set(A)).headers['x-cache']).toBe('BYPASS');
    const post = await started.http().post('/items/5').set(A);
    expect(post.status).toBe(201);
    expect(post.headers['x-cache']).toBeUndefined();
    await started.http().post('/items/5').set(A);
    expect([calls.of('never'), calls.of('post:5')]).toEqual([2, 2]);
  });

  it('runs the handler once for concurrent misses of one key', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => started.http().get('/items/slow/9').set(A)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(new Set(responses.map((r) => r.body.n))).toEqual(new Set([1]));
    expect(calls.of('slow:9')).toBe(1);
  });

  it('answers HEAD from the GET entry', async () => {
    await started.http().get('/items/6').set(A);
    const head = await started.http().head('/items/6').set(A);
    expect(head.status).toBe(200);
    expect(head.headers['x-cache']).toBe('HIT');
    expect(calls.of('get:6')).toBe(1);
  });

  it('honours @CacheTTL, @CacheKey and @CacheTags', async () => {
    await started.http().get('/items/short').set(A);
    expect((await started.http().get('/items/short').set(A)).headers['x-cache']).toBe('HIT');
    await sleep(1100);
    expect((await started.http().get('/items/short').set(A)).headers['x-cache']).toBe('MISS');

    await started.http().get('/items/custom/1').set(A);
    const custom = await started.http().get('/items/custom/2').set(A);
    expect(custom.headers['x-cache']).toBe('HIT');
    expect(custom.body.id).toBe('1');
    expect((await started.http().get('/items/custom/2').set(B)).headers['x-cache']).toBe('MISS');

    await started.http().get('/items/tagged').set(A);
    expect((await started.http().get('/items/tagged').set(A)).headers['x-cache']).toBe('HIT');
    await cache.invalidateTags(['items']);
    expect((await started.http().get('/items/tagged').set(A)).headers['x-cache']).toBe('MISS');
  });

  it('caches plain-text bodies with their content type', async () => {
    const first = await started.http().get('/items/text').set(A);
    const second = await started.http().get('/items/text').set(A);
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.text).toBe(first.text);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
  });

  it('hashes keys of very long URLs and still serves them', async () => {
    const long = 'x'.repeat(700);
    await started.http().get(`/items/6?q=${long}`).set(A);
    expect((await started.http().get(`/items/6?q=${long}`).set(A)).headers['x-cache']).toBe('HIT');
    const keys = await scanKeys(`${prefix}http:#*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.length < 200)).toBe(true);
  });

  it('derives X-Cache, ETag, Age and 304 from a CachedResource without storing a second copy', async () => {
    const first = await started.http().get('/items/entry/7').set(A);
    expect(first.headers['x-cache']).toBe('MISS');
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"v1-/);
    const hit = await started.http().get('/items/entry/7').set(B);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.body).toEqual(first.body);
    expect((await started.http().get('/items/entry/7').set(A).set('If-None-Match', etag)).status).toBe(304);
    // An update of the entity is what the next request sees: one entry, no response copy to go stale.
    await cache.set(cache.key('thing', '7'), { id: '7', v: 2, n: 99 }, { version: 2 });
    const updated = await started.http().get('/items/entry/7').set(A).set('If-None-Match', etag);
    expect(updated.status).toBe(200);
    expect(updated.headers['x-cache']).toBe('HIT');
    expect(updated.body).toEqual({ id: '7', v: 2, n: 99 });
    expect(updated.headers.etag).toMatch(/^"v2-/);
    expect(calls.of('entry:7')).toBe(1);
  });

  it('runs the handler on every request, so its ownership check sees every caller: a hit for the owner, 404 for another', async () => {
    const id = `o${adapter}`;
    const first = await started.http().get(`/items/owned/${id}`).set(A);
    expect(first.status).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const hit = await started.http().get(`/items/owned/${id}`).set(A);
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.etag).toBe(first.headers.etag);
    expect(hit.body).toEqual(first.body);
    expect((await started.http().get(`/items/owned/${id}`).set(A).set('If-None-Match', first.headers.etag)).status).toBe(304);
    expect((await started.http().get(`/items/owned/${id}`).set(B)).status).toBe(404);
    expect(calls.of(`owned:${id}`)).toBe(4);
  });
});
