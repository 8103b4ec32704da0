import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { InstanceStats } from '../app-cluster.js';
import { type BuiltApp, builtApp } from '../app-build.js';
import { AppProcess } from '../app-process.js';
import { sql } from '../jobs-db.js';
import type { TestRedisCluster } from '../redis-cluster.js';
import { TestRedisServer } from '../redis-server.js';
import { TcpProxy } from '../tcp-proxy.js';
import { until } from '../wait.js';
import { FAULT_TOKENS, type HttpTarget } from './recorded-http.js';

const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const run = promisify(execFile);

/** Runs the service's migrations on `databaseUrl` through the build's TypeORM CLI DataSource, in a child process. */
async function migrate(app: BuiltApp, databaseUrl: string): Promise<void> {
  const script = `const ds = (await import(${JSON.stringify(app.dataSource)})).default; await ds.initialize(); await ds.runMigrations(); await ds.destroy();`;
  await run(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl }, timeout: 30_000 });
}

/** One app instance of a rig: its process and, on a standalone Redis, its own proxies (data and bus). */
export class RigInstance implements HttpTarget {
  alive = true;

  constructor(readonly app: AppProcess, readonly data?: TcpProxy, readonly bus?: TcpProxy) {}

  get name(): string {
    return this.app.name;
  }

  get client(): AppProcess['client'] {
    return this.app.client;
  }

  /** Both proxies of this instance (none on a Cluster). */
  get proxies(): TcpProxy[] {
    return [this.data, this.bus].filter((p): p is TcpProxy => p !== undefined);
  }

  /** `GET /api/v2/cache/stats` of this instance. */
  async stats(): Promise<InstanceStats> {
    const answer = await this.app.client.send('GET', '/api/v2/cache/stats', { headers: { authorization: `Bearer ${FAULT_TOKENS.admin}` }, timeoutMs: 5_000 });
    if (answer.status !== 200) throw new Error(`${this.name}: stats answered ${answer.status}`);
    return (JSON.parse(answer.body) as { statistics: InstanceStats }).statistics;
  }
}

export interface RigOptions {
  /** Short name, used in the key prefix and the database name. */
  name: string;
  instances?: number;
  leaseMs: number;
  writeWindowMs: number;
  /** Extra redis-server arguments (standalone). */
  redisArgs?: string[];
  /** An ACL user the apps log in as (created before they start), with these rules, instead of `default`. */
  aclUser?: { name: string; rules: string[] };
  /** A running test-owned Cluster to use instead of a standalone server (the rig does not stop it). */
  cluster?: TestRedisCluster;
  /** More environment for every instance. */
  env?: Record<string, string>;
}

/**
 * Everything a fault case runs on: a password-protected test-owned `redis-server` (or a Cluster), one fresh
 * PostgreSQL database, and app instances as separate processes, each reaching Redis through its own two TCP
 * proxies (data connection and bus subscriber, so a case can cut one instance, or only its bus).
 */
export class FaultRig {
  readonly instances: RigInstance[] = [];
  readonly prefix: string;
  private readonly databaseName: string;
  private counter = 0;

  private constructor(
    private readonly o: RigOptions,
    /** The standalone server (none on a Cluster). */
    readonly redis: TestRedisServer | undefined,
    /** The password of Redis (of `default`, and of the ACL user when there is one). */
    readonly password: string,
    private readonly app: BuiltApp,
  ) {
    const id = randomBytes(4).toString('hex');
    this.prefix = `fault-${o.name}-${id}:`;
    this.databaseName = `fault_${o.name.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${id}`;
  }

  get databaseUrl(): string {
    return `postgres://postgres@127.0.0.1:5432/${this.databaseName}`;
  }

  /**
   * Starts Redis (unless a Cluster is given), the database (migrated first, so that the instances can start
   * together) and `instances` app processes.
   */
  static async start(o: RigOptions): Promise<FaultRig> {
    const app = await builtApp();
    const password = o.cluster?.password ?? randomBytes(12).toString('hex');
    const redis = o.cluster === undefined ? await TestRedisServer.start({ password, args: o.redisArgs }) : undefined;
    const rig = new FaultRig(o, redis, password, app);
    try {
      if (o.aclUser !== undefined) await redis?.command('ACL', 'SETUSER', o.aclUser.name, 'on', `>${rig.password}`, ...o.aclUser.rules);
      await sql(PG_ADMIN_URL, `CREATE DATABASE ${rig.databaseName}`);
      await migrate(app, rig.databaseUrl);
      // allSettled: a failed start must not leave a sibling still booting behind close().
      const started = await Promise.allSettled(Array.from({ length: o.instances ?? 2 }, () => rig.addInstance()));
      const failed = started.find((s) => s.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      rig.instances.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    } catch (error) {
      await rig.close();
      throw error;
    }
    return rig;
  }

  /** The instances the test has not stopped. */
  live(): RigInstance[] {
    return this.instances.filter((i) => i.alive);
  }

  /** Starts one more instance (with its own proxies) while the others run. */
  async addInstance(): Promise<RigInstance> {
    const name = `app${(this.counter += 1)}`;
    const env: Record<string, string> = {
      NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: this.databaseUrl, CACHE_PREFIX: this.prefix,
      ADMIN_TOKEN: FAULT_TOKENS.admin, AUTH_TOKENS: `${FAULT_TOKENS.acme}:acme,${FAULT_TOKENS.beta}:beta`,
      CACHE_LEASE_MS: String(this.o.leaseMs), CACHE_WRITE_WINDOW_MS: String(this.o.writeWindowMs),
      // The pollers poll far above any per-client limit on purpose: a 429 is not what these cases test.
      POLL_RATE_LIMIT_PER_SECOND: '0', ...this.o.env,
    };
    let data: TcpProxy | undefined;
    let bus: TcpProxy | undefined;
    if (this.redis !== undefined) {
      [data, bus] = await Promise.all([TcpProxy.start(this.redis.port), TcpProxy.start(this.redis.port)]);
      const credentials = { user: this.o.aclUser?.name, password: this.password };
      env.REDIS_URL = data.urlWith(credentials);
      env.CACHE_BUS_REDIS_URL = bus.urlWith(credentials);
    } else {
      env.REDIS_URL = this.o.cluster!.url;
    }
    try {
      const instance = new RigInstance(await AppProcess.start(this.app.main, name, env), data, bus);
      this.instances.push(instance);
      return instance;
    } catch (error) {
      await Promise.all([data?.stop(), bus?.stop()]);
      throw error;
    }
  }

  /** Marks `instance` as leaving (its failures are the test's doing), then SIGTERMs or SIGKILLs it. */
  async leave(instance: RigInstance, how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    instance.alive = false;
    if (how === 'SIGTERM') await instance.app.stop();
    else await instance.app.crash();
  }

  /** Waits until every live instance has Redis, a live bus and hears every other live one. */
  async settled(timeoutMs = 10_000): Promise<boolean> {
    return until(async () => {
      const live = this.live();
      const stats = await Promise.all(live.map((i) => i.stats().catch(() => undefined)));
      return stats.every((s) => s !== undefined && s.redisAvailable && s.bus.state === 'live' && s.bus.peers === live.length - 1);
    }, timeoutMs);
  }

  /** The last log lines of every instance. */
  logs(): string[] {
    return this.instances.flatMap((i) => i.app.logs());
  }

  /** Stops every instance and proxy, Redis, and drops the database. Idempotent. */
  async close(): Promise<void> {
    for (const i of this.instances) i.alive = false;
    await Promise.all(this.instances.map((i) => i.app.stop(2_000)));
    await Promise.all(this.instances.flatMap((i) => i.proxies.map((p) => p.stop())));
    await this.redis?.stop();
    await sql(PG_ADMIN_URL, `DROP DATABASE IF EXISTS ${this.databaseName} WITH (FORCE)`);
  }
}
