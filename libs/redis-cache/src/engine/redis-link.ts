import type { Redis, RedisOptions } from 'ioredis';
import { CacheTimeoutError, RedisCommandError } from './cache.errors.js';
import type { CacheStatsCounter } from './cache-stats.js';
import type { CacheLogger, CircuitState } from './cache.types.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { DirtyKeys, type DirtySnapshot } from './dirty-keys.js';
import { GuardedCall } from './guarded-call.js';
import { createRedisClient, isCluster, type RedisClient } from './redis-client.js';
import { redisConnectionSettings, scrubSecrets, type RedisTopologyKind } from './redis-connection.js';
import { clusterSlot } from './bus/cluster-slot.js';
import { coordinationNames } from './bus/coordination-keys.js';
import { defineCacheScripts, RedisStore } from './tiers/redis-store.js';
import { checkEvictionPolicy } from './eviction-policy.js';
import { ignoreError } from './ignored-error.js';

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
  /**
   * The last step of recovery, after the repair and before Redis is used again: the coordinator heartbeats
   * (and so learns the keyspace epoch). Rejecting keeps Redis unused and retries later.
   */
  rejoin: () => Promise<void>;
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
 * Outage and recovery: an outage starts when the connection drops (also when this link drops it itself after a
 * timeout: the new connection may reach another Redis) or the breaker opens. While it lasts, and
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
  /**
   * How many times an outage was raised (a connection lost, the breaker opened, a node reconnected, slots
   * moved, an answer from an unchecked master). A recovery that sees it move while it runs does not end the
   * outage: what it checked (the masters, the epoch) predates the new fault.
   */
  private outagesRaised = 0;
  private recovering?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  /** Set while this link drops its own connection after a timeout (see resetAfterTimeout). */
  private resetting = false;
  private closed = false;
  private everReady = false;
  /**
   * The keyspace epoch the coordinator confirmed (see `bus/coordinator.ts`); `undefined` until then, and
   * Redis is not used before it is known. Entries are written in it and read only if they carry it.
   */
  epoch?: string;
  /** The last error the client reported (ioredis puts AUTH failures there, not into the connect's rejection). */
  private lastError?: Error;
  /** Cluster: the owner of every slot when {@link identity} last looked. */
  private owners?: string[];
  /** Cluster: the last `run_id` seen per master address (see {@link identity}). */
  private readonly runIds = new Map<string, string>();

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
        if (to === 'open') this.raiseOutage();
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
      coordinationKey: coordinationNames(options.keyPrefix, isCluster(this.client)).record,
      checkAnswer: (keys) => this.checkOwners(keys),
    });
    this.client.on('ready', () => {
      options.logger?.log(`cache redis ready at ${this.description}`);
      if (!this.everReady) void checkEvictionPolicy(this.client, options.commandTimeoutMs, options.logger);
      if (this.everReady && !this.outage && !this.dirty.pending) return;
      this.everReady = true;
      // A fresh connection proves the server answers: recover now, bypassing the breaker's cool-down.
      this.startRecovery(true);
    });
    this.client.on('close', () => {
      if (this.closed) return;
      if (this.resetting) {
        // Our own reset does not trip the breaker (it keeps counting real failures). But the connection that
        // replaces this one may reach another Redis — restarted, or restored from an older snapshot, behind the
        // same address — holding entries of the epoch we know: Redis is not used until recovery has rejoined
        // (its heartbeat compares Redis' run_id with the coordination record's and starts a new epoch if they
        // differ), as after any lost connection.
        this.resetting = false;
        this.raiseOutage();
        return;
      }
      if (!this.outage) options.logger?.warn(`cache redis connection to ${this.description} lost; serving from memory`);
      this.raiseOutage();
      this.breaker.trip();
    });
    this.client.on('error', (error: Error) => {
      this.lastError = error;
      options.logger?.debug?.(`cache redis error: ${scrubSecrets(error.message, this.secrets)}`);
    });
    if (isCluster(this.client)) {
      // A node that starts answering after the first recovery may be a replica promoted to master, or a master
      // restarted from an old snapshot: either can lack acknowledged writes. From its `ready` on (before any
      // command of ours reaches it) Redis is not read until the masters' identity has been checked again
      // (recovery; the coordinator then starts a new epoch if it changed). A master that merely went away
      // rolls nothing back: its slots fail meanwhile and the others keep serving.
      this.client.on('+node', (node: Redis) => {
        node.once('ready', () => {
          if (this.closed || !this.everReady) return;
          options.logger?.warn(`cache redis cluster node ${node.options.host}:${node.options.port} (re)connected; checking the masters before Redis is used again`);
          this.raiseOutage();
        });
      });
      // A slot that moved to another node (a replica promoted — possibly one already connected, so no `ready`
      // to notice — or a resharding): ioredis updates its slot table and emits `refresh` in the same turn,
      // before any command is routed by the new table, so Redis is not read until the identity is checked.
      this.client.on('refresh', () => {
        if (this.closed || !this.everReady || this.owners === undefined) return;
        if (!this.ownersChanged()) return;
        options.logger?.warn('cache redis cluster slots moved to other nodes; checking the masters before Redis is used again');
        this.raiseOutage();
      });
    }
  }

  /**
   * Cluster: a read answered by a master whose identity was not checked is not used. A `MOVED` reply (a
   * replica promoted, possibly a lagging one) makes ioredis repoint the slot and resend the command to the
   * new owner at once, before its slot refresh and our `refresh` check: the answer then comes from a Redis
   * that may lack acknowledged writes while it still carries the old epoch. Its slot table already names the
   * new owner when the reply arrives, so comparing it with the checked owners catches it; Redis then stays
   * unused until the masters' identity has been checked again (recovery starts a new epoch).
   */
  private checkOwners(keys: readonly string[]): void {
    if (!isCluster(this.client) || this.owners === undefined) return;
    // Sent while Redis was trusted, answered while the masters are being checked again: the check may already
    // vouch for the node that answered (a replica just promoted, lagging) while the epoch it will replace
    // still holds, so the answer's entries would pass as current. Seen under load: a job deleted and
    // acknowledged, then read back from the promoted replica between the recheck and the new epoch.
    if (this.outage || this.recovering) throw new RedisCommandError('read', 'answered while the cluster masters were being checked again');
    for (const key of keys) {
      const slot = clusterSlot(key);
      const owner = this.client.slots[slot]?.[0];
      if (owner === this.owners[slot]) continue;
      this.options.logger?.warn(`cache redis cluster slot ${slot} answered by ${owner ?? 'no known node'}, not the master checked; checking the masters before Redis is used again`);
      this.raiseOutage();
      throw new RedisCommandError('read', `cluster slot ${slot} moved to ${owner ?? 'an unknown node'} since the masters were checked`);
    }
  }

  /** Whether some slot's owner differs from the one {@link identity} last saw. */
  private ownersChanged(): boolean {
    if (!isCluster(this.client) || this.owners === undefined) return false;
    for (let slot = 0; slot < 16384; slot += 1) if (this.client.slots[slot]?.[0] !== this.owners[slot]) return true;
    return false;
  }

  /**
   * The identity of the Redis beyond its own `run_id` (the coordination script adds that): on a Cluster the
   * `run_id` of every master that owns slots, so that a replica promoted anywhere, or a master restarted,
   * starts a new epoch. A master that does not answer keeps the `run_id` it last had (it rolled nothing back
   * by being unreachable). Throws while some slot has no owner or a master never answered (recovery then
   * retries). `''` for one server.
   */
  async identity(): Promise<string> {
    const client = this.client;
    if (!isCluster(client)) return '';
    const owners = new Set<string>();
    const bySlot: string[] = [];
    for (let slot = 0; slot < 16384; slot += 1) {
      const owner = client.slots[slot]?.[0];
      if (!owner) throw new Error(`cluster slot ${slot} has no known owner yet`);
      owners.add(owner);
      bySlot.push(owner);
    }
    this.owners = bySlot;
    const masters = new Map(client.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
    const ids = await Promise.all([...owners].sort().map(async (address) => {
      const node = masters.get(address);
      try {
        if (node) this.runIds.set(address, /run_id:(\w+)/.exec(await this.store.nodeInfo(node))?.[1] ?? '?');
      } catch (error) {
        ignoreError(error, `cluster master ${address} did not answer INFO; keeping its last run_id`, { logger: this.options.logger });
      }
      const runId = this.runIds.get(address);
      if (runId === undefined) throw new Error(`cluster master ${address} has not answered yet`);
      return `${address}=${runId}`;
    }));
    return `|${ids.join(',')}`;
  }

  /** Opens the connection; never throws, never waits past the connect timeout (ioredis keeps retrying). */
  async connect(): Promise<void> {
    // Until the first ready event nothing is trusted: writes made meanwhile are tracked as dirty.
    this.raiseOutage();
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
    // Raced below; if the deadline wins, its later failure is reported by the error event (and retried).
    connecting.catch((error: unknown) => ignoreError(error, 'connect settled after its deadline', this.options));
    try {
      const outcome = await Promise.race([connecting, deadline]);
      if (outcome === 'timeout') this.options.logger?.warn(`cache redis at ${this.description} not reachable yet; starting degraded, retrying`);
    } catch (error) {
      // ioredis reports an AUTH failure on its `error` event; the connect then only says "Connection is closed".
      const why = authProblem(this.lastError) ?? `not reachable (${scrubSecrets(String(error), this.secrets)})`;
      this.options.logger?.warn(`cache redis at ${this.description} ${why}; starting degraded, retrying`);
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
    if (this.recovering) await this.recovering.catch((error: unknown) => ignoreError(error, 'recovery failed while closing', this.options));
    if (this.client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.options.commandTimeoutMs); });
      const quit = this.client.quit().then(() => undefined, (error: unknown) => ignoreError(error, 'QUIT failed while closing', this.options));
      await Promise.race([quit, deadline]);
      clearTimeout(timer);
    }
    this.client.disconnect(false);
  }

  /**
   * A command that timed out stays in ioredis' queue waiting for its reply; should that reply never come
   * while the socket stays open (a middlebox losing bytes, a proxy gone wrong), every later reply would be
   * handed to the command before it — another key's value. A reply stream that cannot be proven in step is
   * not read again: the connection is dropped and re-established (pending commands fail; none is resent),
   * which also starts an outage: dirty keys are repaired, and the Redis it reconnects to identified (its `run_id`,
   * the epoch), before Redis is trusted again.
   */
  private resetAfterTimeout(): void {
    if (this.closed || this.client.status !== 'ready') return;
    this.options.logger?.warn(`cache redis command timed out; reconnecting to ${this.description} to keep replies in step`);
    this.resetting = true;
    this.client.disconnect(true);
  }

  private raiseOutage(): void {
    this.outage = true;
    this.outagesRaised += 1;
  }

  /** Whether Redis may be used now. Kicks off recovery if it is due; never waits for it. */
  usable(): boolean {
    if (this.closed) return false;
    if (this.recovering) return false;
    if (this.outage || this.dirty.pending || this.epoch === undefined) {
      if (this.client.status === 'ready' && this.breaker.state !== 'open') this.startRecovery(false);
      return false;
    }
    return this.client.status === 'ready' && this.breaker.state !== 'open';
  }

  /**
   * {@link usable}, except that a recovery in progress (or one `usable` just started) is waited for, at most
   * `maxWaitMs`. For writes: one that arrives while Redis is being repaired then reaches Redis instead of
   * going dirty — without the wait, steady writes keep re-dirtying keys while each repair runs, so Redis is
   * repaired again and again while every write skips it (and a strict one waits out a lease).
   */
  async usableSoon(maxWaitMs: number): Promise<boolean> {
    if (this.usable()) return true;
    const recovering = this.recovering;
    if (!recovering) return false;
    let timer: NodeJS.Timeout | undefined;
    // `recover` never rejects (a failed recovery is retried on a timer).
    await Promise.race([recovering, new Promise((resolve) => { timer = setTimeout(resolve, maxWaitMs); })]);
    clearTimeout(timer);
    return this.usable();
  }

  /** The bound of one Redis command, ms. */
  get commandTimeoutMs(): number {
    return this.options.commandTimeoutMs;
  }

  /** Cluster only: the address of the master that owns `slot` now, from the client's slot table. */
  nodeOfSlot(slot: number): { host: string; port: number } | undefined {
    if (!isCluster(this.client)) return undefined;
    const owner = this.client.slots[slot]?.[0];
    const at = owner?.lastIndexOf(':') ?? -1;
    if (!owner || at < 0) return undefined;
    return { host: owner.slice(0, at), port: Number(owner.slice(at + 1)) };
  }

  /**
   * Redis is in use: connected, the circuit not open, recovered, nothing left to repair and the keyspace
   * epoch known — writes reach Redis (for stats and health).
   */
  get available(): boolean {
    return !this.closed && this.client.status === 'ready' && this.breaker.state !== 'open' && !this.outage
      && !this.recovering && !this.dirty.pending && this.epoch !== undefined;
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
    const raised = this.outagesRaised;
    const taken = this.dirty.take();
    try {
      await this.repair(taken, bypassBreaker);
      // Heartbeat only after the repair: peers trust this instance again from its next heartbeat on.
      await this.options.rejoin();
      if (this.outagesRaised !== raised) throw new Error('a new outage was raised while recovering; checking again');
      this.breaker.success();
      this.outage = false;
      // A retry scheduled by an earlier, deferred attempt has nothing left to do: left armed, it would run a
      // needless recovery later, and Redis is not read while one runs.
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      if (wasOutage || taken.keys.length > 0 || taken.overflowed || taken.prefixes.length > 0 || taken.tags.length > 0) {
        this.options.onRecovered(taken, wasOutage);
      }
      if (wasOutage) this.options.logger?.log(`cache redis recovered (${taken.keys.length} keys repaired${taken.overflowed ? ', prefix cleared' : ''})`);
    } catch (error) {
      // A failed command is already counted and logged by the guard (an overtaken recovery is only logged
      // here); keep what is left to repair for the next attempt.
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

  /**
   * Re-applies what failed while Redis was unreachable, before it is trusted again: every dirty key is
   * deleted (an in-flight fill of it then finds its lease gone and is refused, so no older value can come
   * back), failed prefix deletions are redone and failed tag invalidations re-bumped; an overflowed dirty set
   * clears the whole prefix.
   */
  private async repair(taken: DirtySnapshot, bypassBreaker: boolean): Promise<void> {
    const flags = { bypassBreaker };
    if (taken.overflowed) {
      await this.store.deleteByPrefix(this.options.keyPrefix, flags);
      return;
    }
    for (let i = 0; i < taken.keys.length; i += 500) await this.store.delete(taken.keys.slice(i, i + 500), flags);
    for (const prefix of taken.prefixes) await this.store.deleteByPrefix(prefix, flags);
    if (taken.tags.length > 0) await this.store.bumpTags(taken.tags, flags);
    // Nothing to repair: the rejoin's heartbeat that follows is the probe.
  }
}

/** What an AUTH failure means for the operator, or `undefined` when `error` is not one. Never quotes a secret. */
function authProblem(error: Error | undefined): string | undefined {
  const message = error?.message ?? '';
  if (/WRONGPASS|invalid username-password/i.test(message)) return 'refused the credentials in the Redis URL (WRONGPASS: wrong user or password)';
  if (/NOAUTH/i.test(message)) return 'requires a password and the Redis URL has none (NOAUTH)';
  if (/without any password configured|no password is set/i.test(message)) return 'has no password set, but the Redis URL gives one';
  return undefined;
}
