import type { RedisOptions } from 'ioredis';
import { CacheTimeoutError } from './cache.errors.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger, CircuitState } from './cache.types.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { DirtyKeys, type DirtySnapshot } from './dirty-keys.js';
import { GuardedCall } from './guarded-call.js';
import { createRedisClient, isCluster, type RedisClient } from './redis-client.js';
import { redisConnectionSettings, scrubSecrets, type RedisTopologyKind } from './redis-connection.js';
import { defineCacheScripts, RedisStore } from './tiers/redis-store.js';
import type { StoreWrite } from './tiers/cache-store.js';

/** Options of {@link RedisLink}. */
export interface RedisLinkOptions {
  url: string;
  keyPrefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  failureThreshold: number;
  cooldownMs: number;
  maxDirtyKeys: number;
  stats: CacheStatsCounter;
  logger?: CacheLogger;
  /** The tombstone L1 holds for a key, if any: re-applied to Redis on recovery so old fills stay blocked. */
  tombstoneFor: (physicalKey: string) => StoreWrite | undefined;
  /**
   * Called once Redis is trusted again after an outage or a repair, with what was repaired (the engine drops
   * L1 entries that may be stale and re-publishes the repaired invalidations on the bus).
   */
  onRecovered: (repaired: DirtySnapshot, afterOutage: boolean) => void;
}

const TAG_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Owns the Redis side: the client, the guard, the breaker, the dirty set and recovery.
 *
 * Outage and recovery: an outage starts when the connection drops or the breaker opens. While it lasts, and
 * while dirty keys are pending, {@link usable} is `false` and the engine serves from L1 and the loader. When
 * the connection is back (ready event) or the breaker's cool-down has passed, one recovery runs in the
 * background: it re-applies every dirty key (UNLINK, or L1's tombstone with set-if-newer), prefix and tag,
 * or clears the whole prefix if the dirty set overflowed; only when that succeeded is Redis trusted again.
 * Callers never wait for recovery, so the latency bound holds during it.
 */
export class RedisLink {
  readonly client: RedisClient;
  /** How Redis is reached (the bus subscribes differently on a Cluster). */
  readonly topology: RedisTopologyKind;
  readonly store: RedisStore;
  readonly breaker: CircuitBreaker;
  readonly dirty: DirtyKeys;
  /**
   * The fail-fast settings of one connection, for other connections to the same server (the bus
   * subscriber); on a Cluster, the per-node settings (the bus points them at the node it needs).
   */
  readonly connection: RedisOptions;
  readonly secrets: string[];
  private readonly description: string;
  private outage = false;
  private recovering?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  /** Set while this link drops its own connection after a timeout (see resetAfterTimeout). */
  private resetting = false;
  private closed = false;
  private everReady = false;

  constructor(private readonly options: RedisLinkOptions) {
    const settings = redisConnectionSettings(options.url, options);
    this.secrets = settings.secrets;
    this.connection = settings.options;
    this.description = settings.description;
    this.topology = settings.kind;
    this.client = createRedisClient(settings);
    defineCacheScripts(this.client);
    this.dirty = new DirtyKeys(options.maxDirtyKeys);
    this.breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      cooldownMs: options.cooldownMs,
      onStateChange: (from, to) => {
        options.logger?.warn(`cache redis circuit ${from} -> ${to}`);
        if (to === 'open') this.outage = true;
      },
    });
    const guard = new GuardedCall({
      timeoutMs: options.commandTimeoutMs,
      breaker: this.breaker,
      stats: options.stats,
      logger: options.logger,
      secrets: this.secrets,
      isConnected: () => this.client.status === 'ready',
      onFailure: (error) => {
        if (error instanceof CacheTimeoutError) this.resetAfterTimeout();
      },
    });
    this.store = new RedisStore(this.client, guard, {
      tagPrefix: `${options.keyPrefix}!tag:`,
      tagTtlMs: TAG_TTL_MS,
    });
    this.client.on('ready', () => {
      options.logger?.log(`cache redis ready at ${this.description}`);
      if (this.everReady && !this.outage && !this.dirty.pending) return;
      this.everReady = true;
      // A fresh connection proves the server answers: recover now, bypassing the breaker's cool-down.
      this.startRecovery(true);
    });
    this.client.on('close', () => {
      if (this.closed) return;
      if (this.resetting) {
        // Our own reset is not an outage: the breaker keeps counting real failures, and dirty keys (the
        // timed-out writes) are repaired before Redis is trusted again anyway.
        this.resetting = false;
        return;
      }
      if (!this.outage) options.logger?.warn(`cache redis connection to ${this.description} lost; serving from memory`);
      this.outage = true;
      this.breaker.trip();
    });
    this.client.on('error', (error: Error) => {
      options.logger?.debug?.(`cache redis error: ${scrubSecrets(error.message, this.secrets)}`);
    });
  }

  /** Opens the connection; never throws, never waits past the connect timeout (ioredis keeps retrying). */
  async connect(): Promise<void> {
    // Until the first ready event nothing is trusted: writes made meanwhile are tracked as dirty.
    this.outage = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.connectTimeoutMs + 50);
    });
    // ioredis emits `ready` on a later tick than connect() resolves; recovery starts from that event. The
    // listener is attached before connecting, so the event cannot be missed.
    let onReady: (() => void) | undefined;
    const ready = new Promise<'ok'>((resolve) => {
      onReady = () => resolve('ok');
      this.client.once('ready', onReady);
    });
    const connecting = this.client.connect().then(() => ready);
    connecting.catch(() => undefined);
    try {
      const outcome = await Promise.race([connecting, deadline]);
      if (outcome === 'timeout') this.options.logger?.warn(`cache redis at ${this.description} not reachable yet; starting degraded, retrying`);
    } catch (error) {
      this.options.logger?.warn(`cache redis at ${this.description} not reachable (${scrubSecrets(String(error), this.secrets)}); starting degraded, retrying`);
    } finally {
      clearTimeout(timer);
      if (onReady) this.client.removeListener('ready', onReady);
    }
    if (this.recovering) await this.recovering;
  }

  /** Quits the connection (bounded), idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    if (this.recovering) await this.recovering.catch(() => undefined);
    if (this.client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.options.commandTimeoutMs); });
      await Promise.race([this.client.quit().then(() => undefined, () => undefined), deadline]);
      clearTimeout(timer);
    }
    this.client.disconnect(false);
  }

  /**
   * A command that timed out stays in ioredis' queue waiting for its reply; should that reply never come
   * while the socket stays open (a middlebox losing bytes, a proxy gone wrong), every later reply would be
   * handed to the command before it — another key's value. A reply stream that cannot be proven in step is
   * not read again: the connection is dropped and re-established (pending commands fail; none is resent),
   * which also starts an outage, so dirty keys are repaired before Redis is trusted again.
   */
  private resetAfterTimeout(): void {
    if (this.closed || this.client.status !== 'ready') return;
    this.options.logger?.warn(`cache redis command timed out; reconnecting to ${this.description} to keep replies in step`);
    this.resetting = true;
    this.client.disconnect(true);
  }

  /** Whether Redis may be used now. Kicks off recovery if it is due; never waits for it. */
  usable(): boolean {
    if (this.closed) return false;
    if (this.recovering) return false;
    if (this.outage || this.dirty.pending) {
      if (this.client.status === 'ready' && this.breaker.state !== 'open') this.startRecovery(false);
      return false;
    }
    return this.client.status === 'ready' && this.breaker.state !== 'open';
  }

  /** Cluster only: the address of the master that owns `slot` now, from the client's slot table. */
  nodeOfSlot(slot: number): { host: string; port: number } | undefined {
    if (!isCluster(this.client)) return undefined;
    const owner = this.client.slots[slot]?.[0];
    const at = owner?.lastIndexOf(':') ?? -1;
    if (!owner || at < 0) return undefined;
    return { host: owner.slice(0, at), port: Number(owner.slice(at + 1)) };
  }

  /** Connected and the circuit not open (for stats and health). */
  get available(): boolean {
    return !this.closed && this.client.status === 'ready' && this.breaker.state !== 'open' && !this.outage;
  }

  /** The breaker's state. */
  get circuit(): CircuitState {
    return this.breaker.state;
  }

  private startRecovery(bypassBreaker: boolean): void {
    if (this.recovering || this.closed) return;
    this.recovering = this.recover(bypassBreaker).finally(() => {
      this.recovering = undefined;
    });
  }

  private async recover(bypassBreaker: boolean): Promise<void> {
    const wasOutage = this.outage;
    const taken = this.dirty.take();
    try {
      await this.repair(taken, bypassBreaker);
      this.breaker.success();
      this.outage = false;
      if (wasOutage || taken.keys.length > 0 || taken.overflowed || taken.prefixes.length > 0 || taken.tags.length > 0) {
        this.options.onRecovered(taken, wasOutage);
      }
      if (wasOutage) this.options.logger?.log(`cache redis recovered (${taken.keys.length} keys repaired${taken.overflowed ? ', prefix cleared' : ''})`);
    } catch (error) {
      // Already counted and logged by the guard; keep what is left to repair for the next attempt.
      this.dirty.restore(taken);
      this.outage = true;
      this.options.logger?.debug?.(`cache redis recovery deferred: ${scrubSecrets(String(error), this.secrets)}`);
      this.scheduleRecoveryRetry();
    }
  }

  /**
   * Retries a failed recovery on a timer. Reads served from L1 never reach {@link usable}, so without it a
   * dirty key could wait in Redis with its old value for as long as nothing else touched Redis — and another
   * instance, or this one after a restart, would read it.
   */
  private scheduleRecoveryRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      // Not connected: the next `ready` event starts recovery itself.
      if (this.client.status === 'ready') this.startRecovery(false);
    }, Math.max(this.options.cooldownMs, 100));
    this.retryTimer.unref();
  }

  private async repair(taken: DirtySnapshot, bypassBreaker: boolean): Promise<void> {
    const flags = { bypassBreaker };
    if (taken.overflowed) {
      await this.store.deleteByPrefix(this.options.keyPrefix, flags);
      return;
    }
    const unlink: string[] = [];
    const tombstones: StoreWrite[] = [];
    for (const key of taken.keys) {
      const tombstone = this.options.tombstoneFor(key);
      if (tombstone) tombstones.push(tombstone);
      else unlink.push(key);
    }
    for (let i = 0; i < unlink.length; i += 500) await this.store.delete(unlink.slice(i, i + 500), flags);
    for (let i = 0; i < tombstones.length; i += 100) {
      await Promise.all(tombstones.slice(i, i + 100).map((w) => this.store.write(w, flags)));
    }
    for (const prefix of taken.prefixes) await this.store.deleteByPrefix(prefix, flags);
    if (taken.tags.length > 0) await this.store.bumpTags(taken.tags, flags);
    if (unlink.length + tombstones.length + taken.prefixes.length + taken.tags.length === 0) await this.store.ping(flags);
  }
}
