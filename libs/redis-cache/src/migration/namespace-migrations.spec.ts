import { afterEach, describe, expect, it } from '@jest/globals';
import { CacheEngine } from '../engine/cache-engine.js';
import type { LegacyEntry, LegacySource } from './legacy-source.interface.js';
import { NamespaceMigrations } from './namespace-migrations.js';

/** A legacy store in a Map (what is under test is the routing, not a store). */
class MapSource implements LegacySource {
  readonly description = 'map';
  readonly stored = new Map<string, LegacyEntry>();
  async get(key: string): Promise<LegacyEntry | undefined> {
    return this.stored.get(key);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.stored.set(key, { value });
  }
  async delete(key: string): Promise<void> {
    this.stored.delete(key);
  }
}

// The in-process engine (no Redis): the routing decides which keys reach the legacy store.
const engines: CacheEngine[] = [];
afterEach(async () => {
  while (engines.length > 0) await engines.pop()!.close();
});

function setup(): { engine: CacheEngine; legacy: MapSource; migrations: NamespaceMigrations } {
  const engine = new CacheEngine({ keyPrefix: 'ns-mig:' });
  engines.push(engine);
  const legacy = new MapSource();
  const migrations = new NamespaceMigrations(engine, {
    job: { legacy, phase: 'dual-write', ttl: 30 },
    'report:monthly': { legacy, phase: 'primary', ttl: 30 },
  });
  return { engine, legacy, migrations };
}

describe('NamespaceMigrations', () => {
  it('routes exactly the one-part keys of a migrating namespace, with the id they name', () => {
    const { engine, migrations } = setup();
    expect(migrations.route(engine.key('job', 7))).toMatchObject({ id: '7' });
    expect(migrations.route(engine.key('job', 'a:b*c é'))).toMatchObject({ id: 'a:b*c é' });
    expect(migrations.route(engine.key('job', ''))).toMatchObject({ id: '' });
    expect(migrations.route(engine.key('report:monthly', '2026-01'))).toMatchObject({ id: '2026-01' });
    expect(migrations.route(engine.key('job', 7))?.migration).toBe(migrations.get('job'));
    for (const other of [engine.key('job', 7, 8), engine.key('job-list', 7), engine.key('jobs', 7), engine.key('report', 'monthly'), 'job', 'job:%zz', 'job:a%3Ab:c']) {
      expect([other, migrations.route(other)]).toEqual([other, undefined]);
    }
  });

  it('routes nothing, and builds nothing, without migrations', () => {
    const engine = new CacheEngine({ keyPrefix: 'ns-none:' });
    engines.push(engine);
    const none = new NamespaceMigrations(engine);
    expect(none.route(engine.key('job', 7))).toBeUndefined();
    expect(none.get('job')).toBeUndefined();
  });

  it('reads a routed key through the legacy store and promotes it into ours', async () => {
    const { engine, legacy, migrations } = setup();
    legacy.stored.set('7', { value: { v: 'legacy' } });
    const routed = migrations.route<{ v: string }>(engine.key('job', 7))!;
    await expect(routed.migration.getOrLoad(routed.id, async () => ({ v: 'loader' }))).resolves.toMatchObject({ value: { v: 'legacy' }, origin: 'legacy' });
    await expect(engine.get(engine.key('job', 7))).resolves.toEqual({ v: 'legacy' });
  });

  it('refuses an invalid phase at construction, naming the namespace', () => {
    const engine = new CacheEngine({ keyPrefix: 'ns-bad:' });
    engines.push(engine);
    expect(() => new NamespaceMigrations(engine, { job: { phase: 'sideways' as never, ttl: 30 } })).toThrow(/sideways.*job/);
  });
});
