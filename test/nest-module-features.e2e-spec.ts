import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Cacheable, CacheEvict, CachePut, CacheService, InjectCache, NamespacedCache, RedisCacheModule } from 'nestjs-tiered-cache';
import { CacheEngine } from 'nestjs-tiered-cache/engine';
import { TestRedisServer } from './support/redis-server.js';

interface User {
  id: number;
  name: string;
  version: number;
}

@Injectable()
class UsersService {
  readonly db = new Map<number, User>();
  loads = 0;

  @Cacheable({ namespace: 'user', key: (id: number) => id, ttl: 60, version: (u: User | null) => u?.version, unless: (u: User | null) => u === null })
  async find(id: number): Promise<User | null> {
    this.loads += 1;
    await new Promise((r) => setTimeout(r, 50));
    const user = this.db.get(id);
    return user ? { ...user } : null;
  }

  @Cacheable({ namespace: 'user-list', key: () => 'all', tags: () => ['users'], condition: (fresh?: boolean) => fresh !== true })
  async list(fresh?: boolean): Promise<User[]> {
    void fresh;
    this.loads += 1;
    return [...this.db.values()];
  }

  @CachePut({ namespace: 'user', key: (id: number) => id, version: (u: User) => u.version })
  @CacheEvict({ namespace: 'user-list', tags: () => ['users'] })
  async rename(id: number, name: string): Promise<User> {
    const user = this.db.get(id)!;
    const next = { ...user, name, version: user.version + 1 };
    this.db.set(id, next);
    return next;
  }

  @CacheEvict({ namespace: 'user', keys: (id: number) => id, tags: () => ['users'] })
  async remove(id: number): Promise<void> {
    this.db.delete(id);
  }

  @CacheEvict({ namespace: 'user', keys: (id: number) => id, beforeInvocation: true })
  async failingRemove(id: number): Promise<void> {
    void id;
    throw new Error('refused');
  }

  @CacheEvict({ namespace: 'user', keys: (id: number) => id })
  async failingAfter(id: number): Promise<void> {
    void id;
    throw new Error('refused');
  }
}

@Injectable()
class TwoFeatures {
  constructor(
    @InjectCache('invoices') readonly invoices: NamespacedCache,
    @InjectCache('reports') readonly reports: NamespacedCache,
  ) {}
}

describe('RedisCacheModule.forFeature, method decorators (real Redis, test-owned server)', () => {
  let server: TestRedisServer;
  let moduleRef: TestingModule;
  let probe: Redis;
  const connectedClients = async (): Promise<number> => Number(/connected_clients:(\d+)/.exec(await probe.info('clients'))![1]);

  beforeAll(async () => {
    server = await TestRedisServer.start();
    probe = new Redis(server.url, { commandTimeout: 1000, maxRetriesPerRequest: 0 });
    @Module({
      imports: [
        RedisCacheModule.forFeature('invoices', { ttl: (v) => ((v as { paid?: boolean }).paid ? 3600 : 5), negativeTtlSeconds: 2 }),
        RedisCacheModule.forFeature('reports', { ttl: 120, tags: ['reports'] }),
      ],
      providers: [TwoFeatures],
    })
    class InvoicesModule {}
    @Module({ imports: [InvoicesModule], providers: [UsersService] })
    class ReportsModule {}
    moduleRef = await Test.createTestingModule({
      imports: [RedisCacheModule.forRoot({ isGlobal: true, redisUrl: server.url, keyPrefix: 'feat:' }), ReportsModule],
    }).compile();
    await moduleRef.init();
  });
  afterAll(async () => {
    await moduleRef?.close();
    // Closed once and for good: only the probe is left.
    if (probe) expect(await connectedClients()).toBe(1);
    probe?.disconnect();
    await server.stop();
  });

  it('gives each feature its namespace and TTL policy over one Redis connection, closed once on shutdown', async () => {
    const { invoices, reports } = moduleRef.get(TwoFeatures);
    expect(invoices.cache).toBe(reports.cache);
    expect(invoices.cache).toBe(moduleRef.get(CacheService));
    await invoices.set(1, { paid: false });
    await invoices.set(2, { paid: true });
    await reports.set([2024, 'q1'], { total: 3 });
    expect(await probe.pttl('feat:invoices:1')).toBeLessThanOrEqual(5000);
    expect(await probe.pttl('feat:invoices:2')).toBeGreaterThan(3_000_000);
    expect(await probe.pttl('feat:reports:2024:q1')).toBeGreaterThan(100_000);
    expect(await reports.get([2024, 'q1'])).toEqual({ total: 3 });
    await reports.invalidateTags(['reports']);
    expect(await reports.get([2024, 'q1'])).toBeUndefined();

    let loads = 0;
    const missing = async () => {
      loads += 1;
      return undefined;
    };
    await invoices.getOrLoad(404, missing);
    await invoices.getOrLoad(404, missing);
    expect(loads).toBe(1);
    expect(await invoices.clear()).toBeGreaterThan(0);
    expect(await invoices.get(2)).toBeUndefined();
    // The app holds exactly the connections of one engine, however many namespaces it has.
    const withApp = await connectedClients();
    const engine = new CacheEngine({ redisUrl: server.url, keyPrefix: 'feat-probe:' });
    await engine.connect();
    const perEngine = (await connectedClients()) - withApp;
    await engine.close();
    expect(perEngine).toBeGreaterThan(0);
    expect(withApp).toBe(1 + perEngine);
  });

  it('@Cacheable caches by argument, coalesces concurrent calls and honours unless/condition', async () => {
    const users = moduleRef.get(UsersService);
    users.db.set(1, { id: 1, name: 'ada', version: 1 });
    users.loads = 0;
    const results = await Promise.all([users.find(1), users.find(1), users.find(1)]);
    expect(results).toEqual(Array(3).fill({ id: 1, name: 'ada', version: 1 }));
    expect(await users.find(1)).toEqual({ id: 1, name: 'ada', version: 1 });
    expect(users.loads).toBe(1);
    expect(await users.find(2)).toBeNull();
    expect(await users.find(2)).toBeNull();
    expect(users.loads).toBe(3); // null is not cached (unless)
    await users.list();
    await users.list();
    await users.list(true);
    expect(users.loads).toBe(5); // condition false bypasses the cache
  });

  it('@CachePut writes the new version, @CacheEvict evicts keys and tags after success (or before, if asked)', async () => {
    const users = moduleRef.get(UsersService);
    await moduleRef.get(CacheService).invalidateTags(['users']);
    users.db.set(7, { id: 7, name: 'bob', version: 1 });
    users.loads = 0;
    await users.find(7);
    expect((await users.list()).map((u) => u.name)).toContain('bob');
    await users.rename(7, 'robert');
    expect(await users.find(7)).toEqual({ id: 7, name: 'robert', version: 2 });
    expect((await users.list()).find((u) => u.id === 7)?.name).toBe('robert');
    expect(users.loads).toBe(3); // find(7), list, list after the tag eviction — not find after the put

    await expect(users.failingAfter(7)).rejects.toThrow('refused');
    await users.find(7);
    expect(users.loads).toBe(3);
    await expect(users.failingRemove(7)).rejects.toThrow('refused');
    await users.find(7);
    expect(users.loads).toBe(4);

    await users.remove(7);
    expect(await users.find(7)).toBeNull();
  });
});
