// A cache must never break a request it could simply not cache: request.user shapes the default scope cannot
// name (circular, symbols, throwing getters, class instances) and scope resolvers that throw or return
// nonsense make the request bypass the cache with one warning per route — never a 5xx. BigInt ids (Prisma)
// are names like any other. On both adapters, against the shared Redis.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type CanActivate, Controller, type ExecutionContext, Get, type INestApplication, Injectable, Module, UseGuards, UseInterceptors } from '@nestjs/common';
import { CacheInterceptor, CacheService, type CacheScopeResolver, RedisCacheModule } from 'nestjs-tiered-cache';
import { CapturingLogger } from './support/capturing-logger.js';
import { ADAPTERS, startNestApp, uniquePrefix } from './support/nest-test-app.js';

/** The users a Passport-style guard could attach, by the `x-user` header. */
const USERS: Record<string, () => unknown> = {
  'bigint-1': () => ({ id: 1n, name: 'Ada' }),
  'bigint-2': () => ({ id: 2n, name: 'Grace' }),
  circular: () => { const user: Record<string, unknown> = { name: 'Ada' }; user.self = user; return user; },
  symbol: () => ({ name: 'Ada', [Symbol('role')]: 'admin' }),
  getter: () => ({ name: 'Ada', get email(): string { throw new Error('relation not loaded'); } }),
  instance: () => new (class Principal { readonly #token = 'secret'; get token() { return this.#token; } })(),
};

@Injectable()
class UserFromHeader implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string>; user?: unknown }>();
    const make = USERS[request.headers['x-user']];
    if (make) request.user = make();
    return true;
  }
}

let runs = 0;

@Controller('scoped')
@UseGuards(UserFromHeader)
@UseInterceptors(CacheInterceptor)
class ScopedController {
  @Get('a')
  a() {
    return { route: 'a', run: ++runs };
  }

  @Get('b')
  b() {
    return { route: 'b', run: ++runs };
  }
}

function appWith(scope?: CacheScopeResolver): unknown {
  @Module({
    imports: [RedisCacheModule.forRoot({ redisUrl: 'redis://127.0.0.1:6379', keyPrefix: uniquePrefix('scope'), http: { scope } })],
    controllers: [ScopedController],
    providers: [UserFromHeader],
  })
  class ScopeAppModule {}
  return ScopeAppModule;
}

describe.each(ADAPTERS)('cache scope that never fails a request (%s)', (adapter) => {
  const logs = new CapturingLogger();
  let app: INestApplication;
  let http: Awaited<ReturnType<typeof startNestApp>>['http'];

  beforeAll(async () => {
    ({ app, http } = await startNestApp(appWith(), adapter, (created) => created.useLogger(logs)));
  });

  afterAll(async () => {
    await app?.get(CacheService).clear();
    await app?.close();
  });

  const get = async (path: string, user: string) => {
    const response = await http().get(path).set('x-user', user);
    return { status: response.status, xCache: response.headers['x-cache'], body: response.body as { run: number } };
  };
  const warnings = () => logs.lines.filter((line) => line.startsWith('WARN') && line.includes('ScopedController'));

  it('caches per BigInt id: a MISS, then a HIT for the same user, never another user\'s entry', async () => {
    const first = await get('/scoped/a', 'bigint-1');
    expect(first).toMatchObject({ status: 200, xCache: 'MISS' });
    expect(await get('/scoped/a', 'bigint-1')).toEqual({ ...first, xCache: 'HIT' });
    const other = await get('/scoped/a', 'bigint-2');
    expect(other).toMatchObject({ status: 200, xCache: 'MISS' });
    expect(other.body.run).not.toBe(first.body.run);
  });

  it('answers users it cannot name uncached (BYPASS, the handler runs each time), with one warning per route', async () => {
    const before = runs;
    for (const user of ['circular', 'symbol', 'getter', 'instance', 'circular']) {
      expect(await get('/scoped/a', user)).toMatchObject({ status: 200, xCache: 'BYPASS' });
    }
    expect(runs - before).toBe(5);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(/ScopedController\.a: responses are not cached .*defaultCacheScope cannot tell whose request this is/);
    expect(await get('/scoped/b', 'getter')).toMatchObject({ status: 200, xCache: 'BYPASS' });
    expect(warnings()).toHaveLength(2);
    expect(logs.text).not.toContain('relation not loaded');
    expect(logs.text).not.toContain('secret');
  });
});

describe('a scope resolver that throws or returns no scope', () => {
  it.each([
    ['throws', () => { throw new Error('token secret-abc expired'); }, 'threw Error (message not logged)'],
    ['returns undefined', () => undefined as unknown as string, 'returned undefined'],
    ['returns a number', () => 42 as unknown as string, 'returned number'],
  ])('%s: the request is answered uncached and the route warned about once', async (_label, scope, why) => {
    const logs = new CapturingLogger();
    const { app, http } = await startNestApp(appWith(scope), 'fastify', (created) => created.useLogger(logs));
    try {
      for (let i = 0; i < 2; i += 1) {
        const response = await http().get('/scoped/a');
        expect({ status: response.status, xCache: response.headers['x-cache'] }).toEqual({ status: 200, xCache: 'BYPASS' });
      }
      const warned = logs.lines.filter((line) => line.startsWith('WARN'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain(why);
      expect(logs.text).not.toContain('secret-abc');
    } finally {
      await app.close();
    }
  });
});
