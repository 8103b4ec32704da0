import type { GuardedCall, GuardedCallFlags } from '../guarded-call.js';
import { escapeGlob } from '../key-builder.js';
import { EXPIRE_MEMBER, HEARTBEAT, LEAVE } from '../bus/coordination-scripts.js';
import { BUMP_TAGS, CAPTURE_TAGS, DELETE_IF_EQUALS, GET_OR_LEASE, GET_OR_LEASE_MANY, HASH_SET_WITH_TTL, INCREMENT_WITH_TTL, INSPECT, MAX_KEYS_PER_SCRIPT, SET_MANY, WRITE_IF_NEWER, WRITE_IF_NEWER_MANY } from '../lua-scripts.js';
import calculateSlot from 'cluster-key-slot';
import { randomToken } from '../random-token.js';
import { isCluster, type RedisClient } from '../redis-client.js';
import type { CacheStore, StoreInspection, StoreWrite } from './cache-store.js';
import { TickBatch } from './tick-batch.js';
import { RedisCommandError } from '../cache.errors.js';

/** The scripts as ioredis custom commands (EVALSHA, falling back to EVAL on NOSCRIPT). */
interface ScriptCommands {
  cacheWriteIfNewer(numKeys: number, ...args: Array<string | number>): Promise<number>;
  cacheSetMany(numKeys: number, ...args: Array<string | number>): Promise<number>;
  cacheWriteIfNewerMany(numKeys: number, ...args: Array<string | number>): Promise<number[]>;
  cacheGetOrLeaseMany(numKeys: number, ...args: Array<string | number>): Promise<Array<string | null | 0>>;
  cacheDeleteIfEquals(key: string, raw: string): Promise<number>;
  cacheGetOrLease(key: string, placeholder: string, ttlMs: number): Promise<string | null>;
  cacheIncrement(key: string, by: number, ttlMs: number): Promise<number>;
  cacheHashSet(key: string, field: string, raw: string, ttlMs: number): Promise<number>;
  cacheInspect(key: string): Promise<[string, string | null, number]>;
  cacheBumpTags(numKeys: number, ...args: Array<string | number>): Promise<number>;
  cacheCaptureTags(numKeys: number, ...args: Array<string | number>): Promise<string[]>;
  cacheWriteIfNewerOne(key: string, ...args: Array<string | number>): Promise<number>;
  cacheBumpTag(key: string, ttlMs: number, token: string): Promise<number>;
  cacheCaptureTag(key: string, ttlMs: number, token: string): Promise<string[]>;
  cacheHeartbeat(key: string, ...args: Array<string | number>): Promise<unknown>;
  cacheExpireMember(key: string, id: string, minAgeMs: number, candidate: string, epoch: string): Promise<[number, string | null]>;
  cacheLeave(key: string, id: string, channel: string, payload: string, sharded: string): Promise<number>;
}

/** Arguments of one heartbeat (see `bus/coordination-scripts.ts#HEARTBEAT`). */
export interface HeartbeatArgs {
  channel: string;
  instanceId: string;
  message: string;
  /** Redis' clock after which the script does nothing. */
  deadline: number;
  identity: string;
  candidateEpoch: string;
  pruneAfterMs: number;
  sharded: boolean;
  /** Reads the record (and starts an epoch if needed) without joining it. */
  observer: boolean;
  /** Members the caller knows, re-added if the record lost them. */
  known: ReadonlyArray<[string, number]>;
}

/** Defines the engine's Lua scripts on a client. */
export function defineCacheScripts(client: RedisClient): void {
  client.defineCommand('cacheWriteIfNewer', { lua: WRITE_IF_NEWER });
  client.defineCommand('cacheSetMany', { lua: SET_MANY });
  client.defineCommand('cacheWriteIfNewerMany', { lua: WRITE_IF_NEWER_MANY });
  client.defineCommand('cacheGetOrLeaseMany', { lua: GET_OR_LEASE_MANY });
  client.defineCommand('cacheDeleteIfEquals', { lua: DELETE_IF_EQUALS, numberOfKeys: 1 });
  client.defineCommand('cacheGetOrLease', { lua: GET_OR_LEASE, numberOfKeys: 1 });
  client.defineCommand('cacheIncrement', { lua: INCREMENT_WITH_TTL, numberOfKeys: 1 });
  client.defineCommand('cacheHashSet', { lua: HASH_SET_WITH_TTL, numberOfKeys: 1 });
  client.defineCommand('cacheInspect', { lua: INSPECT, numberOfKeys: 1 });
  client.defineCommand('cacheBumpTags', { lua: BUMP_TAGS });
  client.defineCommand('cacheCaptureTags', { lua: CAPTURE_TAGS });
  // One-key variants for a Cluster: with a declared key count, ioredis routes (and auto-pipelines) the
  // script by its key; with a variable count it would take the count argument for the key.
  client.defineCommand('cacheWriteIfNewerOne', { lua: WRITE_IF_NEWER, numberOfKeys: 1 });
  client.defineCommand('cacheBumpTag', { lua: BUMP_TAGS, numberOfKeys: 1 });
  client.defineCommand('cacheCaptureTag', { lua: CAPTURE_TAGS, numberOfKeys: 1 });
  client.defineCommand('cacheHeartbeat', { lua: HEARTBEAT, numberOfKeys: 1 });
  client.defineCommand('cacheExpireMember', { lua: EXPIRE_MEMBER, numberOfKeys: 1 });
  client.defineCommand('cacheLeave', { lua: LEAVE, numberOfKeys: 1 });
}

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /** Physical prefix under which tag generation keys live. */
  tagPrefix: string;
  /** TTL of tag generation keys in ms: must outlive every entry carrying the tag. */
  tagTtlMs: number;
  /** SCAN COUNT hint and UNLINK batch size. */
  scanCount?: number;
  /** The coordination record's key: `deleteByPrefix` leaves it alone (it is not cached data). */
  coordinationKey?: string;
  /**
   * Called with the keys a read touched once Redis answered; throws if the answer may not be used (a
   * Cluster slot that moved to a master not yet checked, see `RedisLink`). Read methods then reject.
   */
  checkAnswer?: (keys: readonly string[]) => void;
}

/**
 * The Redis tier. Every command goes through the {@link GuardedCall} (time bound, breaker, stats, log) and
 * rejects with a `CacheError` on any failure; the engine decides the fallback.
 *
 * On a Redis Cluster every script and command touches one key, so keys need no hash tag and spread over
 * all masters: several keys are read or deleted with one command per key (auto-pipelining sends them to
 * each master in one batch), the tag check of a fill runs right after its write instead of inside the
 * script (see {@link write}), `SCAN` walks every master, and the bus uses sharded pub/sub.
 */
export class RedisStore implements CacheStore {
  private readonly scripts: ScriptCommands;
  private readonly cluster: boolean;
  private readonly reads?: TickBatch<string, string | undefined>;
  private readonly leases?: TickBatch<LeaseRead, string | undefined>;
  private readonly fills?: TickBatch<StoreWrite, boolean>;

  constructor(
    private readonly client: RedisClient,
    private readonly guard: GuardedCall,
    private readonly options: RedisStoreOptions,
  ) {
    this.scripts = client as unknown as ScriptCommands;
    this.cluster = isCluster(client);
    // A Cluster's keys lie in different slots: each read is its own GET, auto-pipelined per master.
    this.reads = this.cluster ? undefined : new TickBatch((keys) => this.readTick(keys), 1000);
    this.leases = this.cluster ? undefined : new TickBatch((reads) => this.leaseTick(reads), MAX_KEYS_PER_SCRIPT);
    this.fills = this.cluster ? undefined : new TickBatch((writes) => this.fillTick(writes), MAX_KEYS_PER_SCRIPT);
  }

  private tagKeys(tags: readonly string[]): string[] {
    return tags.map((tag) => this.options.tagPrefix + encodeURIComponent(tag));
  }

  /**
   * What `key` holds. On one server the reads of one tick go as one `MGET` (see {@link TickBatch}): one command
   * for the L2 reads of every concurrent request, under one time bound. A key that holds a hash or counter then
   * reads as absent, where a lone `GET` is refused by Redis (WRONGTYPE); both are a miss to the reader.
   */
  get(key: string): Promise<string | undefined> {
    if (this.reads) return this.reads.add(key);
    return this.guard.run('get', key, () => this.client.get(key), undefined, (value) => this.answer(key, value));
  }

  /** One tick's reads: a lone key as `GET`, several as one `MGET`; each answer checked as a lone read's is. */
  private readTick(keys: string[]): Promise<Array<string | undefined>> {
    if (keys.length === 1) return this.guard.run('get', keys[0], () => this.client.get(keys[0]), undefined, (value) => [this.answer(keys[0], value)]);
    return this.guard.run('get', `${keys.length} keys`, () => this.client.mget(...keys), undefined, (values) => this.answers(keys, values));
  }

  /**
   * A miss's read: what `key` holds, or `undefined` when it held nothing — and then `placeholder` (a fill's
   * lease) has been put there for `ttlMs`, in the same round trip (`lua-scripts.ts#GET_OR_LEASE`).
   */
  getOrLease(key: string, placeholder: string, ttlMs: number): Promise<string | undefined> {
    const ttl = Math.max(1, Math.round(ttlMs));
    if (this.leases) return this.leases.add({ key, placeholder, ttl });
    return this.guard.run('get', key, () => this.scripts.cacheGetOrLease(key, placeholder, ttl), undefined, (value) => this.answer(key, value));
  }

  /** One tick's miss reads: a lone one as `GET_OR_LEASE`, several as one `GET_OR_LEASE_MANY`. */
  private leaseTick(reads: LeaseRead[]): Promise<Array<string | undefined | Error>> {
    if (reads.length === 1) {
      const { key, placeholder, ttl } = reads[0];
      return this.guard.run('get', key, () => this.scripts.cacheGetOrLease(key, placeholder, ttl), undefined, (value) => [this.answer(key, value)]);
    }
    const keys = reads.map((r) => r.key);
    const args: Array<string | number> = [...keys];
    for (const r of reads) args.push(r.placeholder);
    for (const r of reads) args.push(r.ttl);
    return this.guard.run('get', `${reads.length} keys`, () => this.scripts.cacheGetOrLeaseMany(reads.length, ...args), undefined, (values) => {
      this.options.checkAnswer?.(keys);
      return values.map((v) => (v === 0 ? wrongType('get') : v ?? undefined));
    });
  }

  private answer(key: string, value: string | null): string | undefined {
    this.options.checkAnswer?.([key]);
    return value ?? undefined;
  }

  /** {@link answer} for the keys of one batched read. */
  private answers(keys: readonly string[], values: ReadonlyArray<string | null>): Array<string | undefined> {
    this.options.checkAnswer?.(keys);
    return values.map((v) => v ?? undefined);
  }

  /**
   * Set-if-newer (and, for a fill, only if no tag was invalidated since its load began). On a Cluster the tag
   * generation keys live in other slots than the entry, so the script cannot read them: the entry is written
   * by version alone, then the generations are read again and, if one moved, the entry is removed by
   * compare-and-delete and the write reported refused. An invalidation that lands between the two steps is
   * therefore caught by the re-read, one that lands after it is a later invalidation, exactly as on one
   * server; and readers check generations on every tagged read anyway, so no window serves the old value.
   * Cost: one more round trip for tagged fills on a Cluster.
   */
  write(write: StoreWrite, flags?: GuardedCallFlags): Promise<boolean> {
    if (this.cluster && write.tagCheck) return this.writeThenCheckTags(write, write.tagCheck, flags);
    if (isPlainWrite(write)) {
      // Unversioned, not a fill, no tag check: WRITE_IF_NEWER would compare nothing and SET, so SET it is
      // (no script: one plain command, no Lua call).
      const ttl = Math.max(1, Math.round(write.ttlMs));
      return this.guard.run('set', write.key, () => this.client.set(write.key, write.raw, 'PX', ttl), flags).then(isOk);
    }
    // The fills of one tick without a tag check (every untagged miss) go as one script: a lease makes a fill
    // safe to delay, as anything written to the key meanwhile refuses it.
    if (this.fills && write.fill && !write.tagCheck && flags === undefined) return this.fills.add(write);
    return this.writeIfNewer(write, flags);
  }

  /**
   * Whether {@link write} (or {@link delete}, `'delete'`) hands its command to the data connection the moment
   * it is called (or refuses it then: circuit open, not connected), as the one plain command it is (a `SET`, an
   * `UNLINK`; no script; on one server): then a {@link publish} issued after that call is executed by Redis
   * after it — both go through the same connection's auto-pipeline, in order. Not a script (an `EVALSHA`
   * answered `NOSCRIPT` is sent again as `EVAL`, after anything issued meanwhile), not a gathered fill (sent on
   * the next tick), not on a Cluster (the channel's node is not the key's).
   */
  publishesAfter(command: StoreWrite | 'delete'): boolean {
    return !this.cluster && (command === 'delete' || isPlainWrite(command));
  }

  /** One write through `WRITE_IF_NEWER` (its one-key form on a Cluster). */
  private writeIfNewer(write: StoreWrite, flags?: GuardedCallFlags): Promise<boolean> {
    const tagKeys = write.tagCheck ? this.tagKeys(write.tagCheck.tags) : [];
    const args = [write.key, ...tagKeys, ...writeArgs(write), write.tagCheck ? '1' : '0', ...(write.tagCheck?.generations ?? [])];
    const run = this.cluster
      ? () => this.scripts.cacheWriteIfNewerOne(write.key, ...args.slice(1))
      : () => this.scripts.cacheWriteIfNewer(1 + tagKeys.length, ...args);
    return this.guard.run('set', write.key, run, flags).then(isOne);
  }

  /**
   * Whether {@link writePlainMany} sends several keys in one command here: on one server, yes; on a Cluster
   * the keys of a batch lie in different slots, so each goes as its own {@link write}.
   */
  get batchesWrites(): boolean {
    return !this.cluster;
  }

  /**
   * Plain writes (what {@link write} would send as a plain `SET`: unversioned, untagged, not a fill) of several
   * keys in one command (`lua-scripts.ts#SET_MANY`), atomically. Resolves `true` when Redis took them all.
   * Only on one server (see {@link batchesWrites}).
   */
  writePlainMany(writes: ReadonlyArray<Pick<StoreWrite, 'key' | 'raw' | 'ttlMs'>>, flags?: GuardedCallFlags): Promise<boolean> {
    if (this.cluster) return Promise.reject(new Error('writePlainMany: a Cluster takes one write per key'));
    const args: Array<string | number> = writes.map((w) => w.key);
    for (const w of writes) args.push(w.raw);
    for (const w of writes) args.push(Math.max(1, Math.round(w.ttlMs)));
    const label = `${writes.length} keys`;
    return this.guard.run('set', label, () => this.scripts.cacheSetMany(writes.length, ...args), flags).then((n) => n === writes.length);
  }

  /** One tick's untagged fills: a lone one as `WRITE_IF_NEWER`, several as one `WRITE_IF_NEWER_MANY`. */
  private fillTick(writes: StoreWrite[]): Promise<Array<boolean | Error>> {
    if (writes.length === 1) return this.writeIfNewer(writes[0]).then((written) => [written]);
    const args: Array<string | number> = writes.map((w) => w.key);
    for (const w of writes) args.push(...writeArgs(w));
    return this.guard.run('set', `${writes.length} keys`, () => this.scripts.cacheWriteIfNewerMany(writes.length, ...args), undefined,
      (answers) => answers.map((n) => (n === -1 ? wrongType('set') : n === 1)));
  }

  /** {@link write} of a tag-checked fill on a Cluster: by version alone, then the generations read again. */
  private async writeThenCheckTags(write: StoreWrite, check: NonNullable<StoreWrite['tagCheck']>, flags?: GuardedCallFlags): Promise<boolean> {
    if (!(await this.write({ ...write, tagCheck: undefined }, flags))) return false;
    const now = await this.tagGenerations(check.tags, flags);
    if (now.every((g, i) => g === check.generations[i])) return true;
    await this.guard.run('delete', write.key, () => this.scripts.cacheDeleteIfEquals(write.key, write.raw), flags);
    return false;
  }

  /**
   * A fill's lease on a key that holds nothing: `SET key placeholder NX PX ttl`. `false` when something was
   * written there meanwhile (then the fill has no lease and is not cached).
   */
  async placeLease(key: string, placeholder: string, ttlMs: number): Promise<boolean> {
    return (await this.guard.run('lease', key, () => this.client.set(key, placeholder, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'))) === 'OK';
  }

  async delete(keys: readonly string[], flags?: GuardedCallFlags): Promise<number> {
    if (keys.length === 0) return 0;
    const label = keys.length === 1 ? keys[0] : `${keys.length} keys`;
    if (this.cluster && keys.length > 1) {
      // UNLINK of keys in different slots is a CROSSSLOT error: one per key, pipelined per master.
      return this.guard.run('delete', label, async () => sum(await Promise.all(keys.map((key) => this.client.unlink(key)))), flags);
    }
    return this.guard.run('delete', label, () => this.client.unlink(...keys), flags);
  }

  async deleteIfEquals(key: string, raw: string): Promise<void> {
    await this.guard.run('delete', key, () => this.scripts.cacheDeleteIfEquals(key, raw));
  }

  async inspect(key: string): Promise<StoreInspection> {
    const [type, raw, pttl] = await this.guard.run('inspect', key, () => this.scripts.cacheInspect(key));
    const known = type === 'none' || type === 'string' || type === 'hash' ? type : 'other';
    return { type: known, raw: raw ?? undefined, pttl: Number(pttl) };
  }

  async increment(key: string, by: number, ttlMs: number): Promise<number> {
    return Number(await this.guard.run('increment', key, () => this.scripts.cacheIncrement(key, by, Math.round(ttlMs))));
  }

  async hashSet(key: string, field: string, raw: string, ttlMs: number): Promise<void> {
    await this.guard.run('hashSet', key, () => this.scripts.cacheHashSet(key, field, raw, Math.round(ttlMs)));
  }

  async hashGet(key: string, field: string): Promise<string | undefined> {
    return (await this.guard.run('hashGet', key, () => this.client.hget(key, field))) ?? undefined;
  }

  async hashGetAll(key: string): Promise<Record<string, string>> {
    const all = await this.guard.run('hashGetAll', key, () => this.client.hgetall(key));
    const out: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [field, value] of Object.entries(all)) out[field] = value;
    return out;
  }

  /**
   * SCAN MATCH `<escaped prefix>*` COUNT n, UNLINK each batch. Each SCAN and UNLINK is its own guarded call,
   * so a long walk never holds a command past the timeout; a failure part-way rejects (what was deleted stays
   * deleted). Never KEYS.
   */
  async deleteByPrefix(prefix: string, flags?: GuardedCallFlags): Promise<number> {
    const match = `${escapeGlob(prefix)}*`;
    const count = this.options.scanCount ?? 500;
    // SCAN sees one server's keys: on a Cluster every master is walked (a node down fails the walk, and the
    // engine keeps the prefix dirty until it can be completed).
    const nodes = isCluster(this.client) ? this.client.nodes('master') : [this.client];
    let deleted = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await this.guard.run('scan', prefix, () => node.scan(cursor, 'MATCH', match, 'COUNT', count), flags);
        cursor = next;
        const keys = found.filter((key) => key !== this.options.coordinationKey);
        if (keys.length > 0) deleted += await this.delete(keys, flags);
      } while (cursor !== '0');
    }
    return deleted;
  }

  async tagGenerations(tags: readonly string[], flags?: GuardedCallFlags): Promise<Array<string | undefined>> {
    if (tags.length === 0) return [];
    const keys = this.tagKeys(tags);
    const values = await this.guard.run('tags', undefined, () => this.readMany(keys), flags);
    this.options.checkAnswer?.(keys);
    return values.map((v) => v ?? undefined);
  }

  /**
   * The generations a fill loads under, creating the missing ones from `tokens` (see
   * `lua-scripts.ts#CAPTURE_TAGS`). On a Cluster one script per tag (its own slot), pipelined.
   */
  async captureTags(tags: readonly string[]): Promise<string[]> {
    if (tags.length === 0) return [];
    const tokens = tags.map(() => randomToken());
    const keys = this.tagKeys(tags);
    const ttl = this.options.tagTtlMs;
    const capture = this.cluster
      ? async () => (await Promise.all(keys.map((key, i) => this.scripts.cacheCaptureTag(key, ttl, tokens[i])))).map((one) => one[0])
      : () => this.scripts.cacheCaptureTags(keys.length, ...keys, ttl, ...tokens);
    const generations = await this.guard.run('tags', undefined, capture);
    this.options.checkAnswer?.(keys);
    return generations.map(String);
  }

  /** Gives each tag a new random generation. */
  async bumpTags(tags: readonly string[], flags?: GuardedCallFlags): Promise<void> {
    if (tags.length === 0) return;
    const tokens = tags.map(() => randomToken());
    const keys = this.tagKeys(tags);
    const ttl = this.options.tagTtlMs;
    // Each generation is independent: on a Cluster one script per tag key (its own slot), pipelined.
    const bump = this.cluster
      ? async () => sum(await Promise.all(keys.map((key, i) => this.scripts.cacheBumpTag(key, ttl, tokens[i]))))
      : () => this.scripts.cacheBumpTags(keys.length, ...keys, ttl, ...tokens);
    await this.guard.run('invalidateTags', undefined, bump, flags);
  }

  /** Raw values of several keys in one round trip (`undefined` for absent keys); on a Cluster, one batch per master. */
  async getMany(keys: readonly string[]): Promise<Array<string | undefined>> {
    if (keys.length === 0) return [];
    const values = await this.guard.run('mget', `${keys.length} keys`, () => this.readMany(keys));
    this.options.checkAnswer?.(keys);
    return values.map((v) => v ?? undefined);
  }

  /** MGET, or on a Cluster a GET per key (keys in different slots), which auto-pipelining batches per master. */
  private readMany(keys: readonly string[]): Promise<Array<string | null>> {
    if (this.cluster && keys.length > 1) return Promise.all(keys.map((key) => this.client.get(key)));
    return this.client.mget(...keys);
  }

  /**
   * Publishes on the bus channel through the guard; resolves to the number of receivers Redis reports. On a
   * Cluster this is `SPUBLISH` (sharded pub/sub, see `invalidation-bus.ts`): the channel's slot owner is the
   * one node every instance publishes to and subscribes at, so order holds and the count is exact.
   */
  async publish(channel: string, payload: string): Promise<number> {
    if (this.cluster) return this.guard.run('publish', undefined, async () => Number(await this.client.spublish(channel, payload)));
    return this.guard.run('publish', undefined, () => this.client.publish(channel, payload));
  }

  /** `SET key token NX PX ttlMs`: whether the lock was taken. */
  async acquireLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.guard.run('lock', key, () => this.client.set(key, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX'))) === 'OK';
  }

  /** Releases a lock only if `token` still owns it (compare-and-delete), so an expired lock taken over by another owner survives. */
  async releaseLock(key: string, token: string): Promise<void> {
    await this.guard.run('unlock', key, () => this.scripts.cacheDeleteIfEquals(key, token));
  }

  /** A PING through the guard, used as the recovery probe. */
  async ping(flags?: GuardedCallFlags): Promise<void> {
    await this.guard.run('ping', undefined, () => this.client.ping(), flags);
  }

  /** Redis' clock (`TIME`) in epoch ms; on a Cluster, the clock of the coordination record's master. */
  async time(flags?: GuardedCallFlags): Promise<number> {
    const node = this.coordinationNode();
    const [seconds, micros] = await this.guard.run('time', undefined, () => node.time(), flags);
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** One heartbeat of the coordination protocol (`bus/coordination-scripts.ts#HEARTBEAT`). */
  async heartbeat(key: string, args: HeartbeatArgs, flags?: GuardedCallFlags): Promise<unknown> {
    const argv = [
      args.channel, args.instanceId, args.message, args.deadline, args.identity, args.candidateEpoch, Math.round(args.pruneAfterMs),
      args.sharded ? '1' : '0', args.observer ? '1' : '0', ...args.known.flatMap(([id, seen]) => [id, seen]),
    ];
    return this.guard.run('heartbeat', undefined, () => this.scripts.cacheHeartbeat(key, ...argv), flags);
  }

  /** Expires a member silent past `minAgeMs` (`EXPIRE_MEMBER`): whether it did, and the epoch now. */
  async expireMember(key: string, id: string, minAgeMs: number, candidate: string, epoch: string): Promise<[boolean, string | undefined]> {
    const [expired, current] = await this.guard.run('coordination', undefined, () => this.scripts.cacheExpireMember(key, id, Math.round(minAgeMs), candidate, epoch));
    return [Number(expired) === 1, current ?? undefined];
  }

  /** Marks a member as gone and says goodbye on the bus (`LEAVE`). */
  async leave(key: string, id: string, channel: string, payload: string, sharded: boolean): Promise<void> {
    await this.guard.run('coordination', undefined, () => this.scripts.cacheLeave(key, id, channel, payload, sharded ? '1' : '0'));
  }

  /** `INFO server` of one node (a Cluster master), through the guard. */
  async nodeInfo(node: Pick<RedisClient, 'info'>): Promise<string> {
    return this.guard.run('info', undefined, () => node.info('server'), { bypassBreaker: true });
  }

  /** The connection that serves the coordination record (on a Cluster, the master owning its slot). */
  private coordinationNode(): Pick<RedisClient, 'time'> {
    if (!isCluster(this.client) || this.options.coordinationKey === undefined) return this.client;
    const owner = this.client.slots[calculateSlot(this.options.coordinationKey)]?.[0];
    const masters = this.client.nodes('master');
    return masters.find((n) => `${n.options.host}:${n.options.port}` === owner) ?? masters[0] ?? this.client;
  }

}

const isOne = (reply: number): boolean => reply === 1;
const isOk = (reply: string): boolean => reply === 'OK';

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + Number(b), 0);
}

/** A miss's read of one key with the lease placeholder to put there (see `RedisStore.getOrLease`). */
interface LeaseRead {
  key: string;
  placeholder: string;
  ttl: number;
}

/** A write that compares nothing: unversioned, not a fill, no tag check, not a tombstone (a plain `SET`). */
function isPlainWrite(write: StoreWrite): boolean {
  return write.version === undefined && !write.fill && write.kind !== 'T' && !write.tagCheck;
}

/** ARGV[1..5] of `WRITE_IF_NEWER` for `write`: envelope, version, PX ttl, mode, lease. */
function writeArgs(write: StoreWrite): Array<string | number> {
  return [write.raw, write.version ?? '', Math.max(1, Math.round(write.ttlMs)), write.kind === 'T' ? '1' : write.fill ? '2' : '0', write.lease ?? ''];
}

/** What one key of a batched script gets when it holds another type (a lone command is refused with WRONGTYPE). */
function wrongType(operation: string): RedisCommandError {
  return new RedisCommandError(operation, 'WRONGTYPE Operation against a key holding the wrong kind of value');
}
