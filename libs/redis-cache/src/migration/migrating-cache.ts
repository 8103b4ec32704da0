import type { CacheEngine } from '../engine/cache-engine.js';
import { ignoreError } from '../engine/ignored-error.js';
import type { CacheLogger, CacheResult, CacheSetOptions, GetOrLoadOptions, TtlPolicy } from '../engine/cache.types.js';
import { LegacyGuard } from './legacy-guard.js';
import type { LegacySource } from './legacy-source.interface.js';
import { isMigrationPhase, type MigrationPhase } from './migration-phase.js';
import { MigrationConfigError } from './migration.errors.js';
import { MigrationStatsCounter, type MigrationStats } from './migration-stats.js';
import { SuspectKeys } from './suspect-keys.js';

/** What the migrating cache needs of ours: a `CacheEngine` or the Nest `CacheService`. */
export type MigrationTarget = Pick<CacheEngine, 'key' | 'getEntry' | 'set' | 'delete' | 'getOrLoad'>;

/** Options of {@link MigratingCache}. */
export interface MigratingCacheOptions<T> {
  /** Our cache (`CacheService` or `CacheEngine`). Never modified, only called. */
  cache: MigrationTarget;
  /** Namespace of our keys: the id `42` lives under `cache.key(namespace, '42')`. */
  namespace: string;
  /** The legacy store; absent means phase `only` with nothing left to touch. */
  legacy?: LegacySource;
  /** The phase, or a function read on every call (configuration that changes without a restart). */
  phase: MigrationPhase | (() => MigrationPhase);
  /** TTL of writes that do not give one, and of legacy entries without an expiry when promoted. */
  ttl: TtlPolicy<T>;
  /**
   * Version of a value (e.g. a row's `version`). Strongly recommended: promotions and fills then become
   * versioned writes, so a legacy value read before a concurrent update can never replace the update in
   * ours, and a fill is written to legacy only when ours kept it.
   */
  version?: (value: T) => number | undefined;
  /** Legacy key of an id (default: the id itself). */
  legacyKey?: (id: string) => string;
  /** Time bound of each legacy call in ms (default 500). */
  legacyTimeoutMs?: number;
  /** Breaker in front of the legacy store (defaults: 5 failures, 2000 ms). */
  legacyCircuit?: { failureThreshold?: number; cooldownMs?: number };
  /** Bound of the suspect-key set (default 10 000). */
  maxSuspectKeys?: number;
  /**
   * Whether `only` keeps deleting legacy copies of keys it writes or deletes (default `true`), which keeps
   * a step back to `primary` safe. Set `false` (or drop `legacy`) once the legacy store is decommissioned.
   */
  invalidateLegacyInOnly?: boolean;
  /** Where failures are logged (operation, namespace and error class only). */
  logger?: CacheLogger;
}

/** A read's result: ours' result plus which side answered it. */
export interface MigratingResult<T> extends CacheResult<T> {
  /** `ours` (our tiers or a load coalesced in them), `legacy` (promoted now) or `loader`. */
  origin: 'ours' | 'legacy' | 'loader';
}

/**
 * One namespace on its way from a legacy cache to ours, in phases switchable by configuration (see
 * {@link MigrationPhase}). Ours is always written first and is the arbiter of order (versioned writes,
 * tombstones); legacy is best-effort around it:
 *
 * - reads fall through a failing legacy store as misses; failed legacy writes/deletes are counted, logged,
 *   and the key becomes *suspect* (legacy is not read for it until a later legacy write/delete succeeds);
 * - in `primary` (and `only`, see {@link MigratingCacheOptions.invalidateLegacyInOnly}) every write or
 *   delete removes the legacy copy instead of updating it, so whoever reads legacy after a step back finds
 *   either a value ours never superseded or nothing — never an older one.
 *
 * @example
 * const progress = new MigratingCache<JobProgress>({ cache, namespace: 'job-progress', legacy, phase: () => config.phase,
 *   ttl: 30, version: (p) => p.version });
 * const { value } = await progress.getOrLoad(String(id), () => repo.findProgress(id));
 */
export class MigratingCache<T> {
  private readonly stats = new MigrationStatsCounter();
  private readonly suspects: SuspectKeys;
  private readonly guard?: LegacyGuard;
  private phaseOverride?: MigrationPhase;

  constructor(private readonly options: MigratingCacheOptions<T>) {
    options.cache.key(options.namespace); // validates the namespace at construction
    this.suspects = new SuspectKeys(options.maxSuspectKeys ?? 10_000);
    if (options.legacy) {
      this.guard = new LegacyGuard({
        timeoutMs: options.legacyTimeoutMs ?? 500,
        failureThreshold: options.legacyCircuit?.failureThreshold ?? 5,
        cooldownMs: options.legacyCircuit?.cooldownMs ?? 2000,
        source: options.legacy.description,
        namespace: options.namespace,
        logger: options.logger,
        onFailure: (operation) => { this.stats.legacyErrors[operation] += 1; },
      });
    }
    void this.phase; // validates a fixed phase now rather than on the first call
  }

  /** The namespace this cache migrates. */
  get namespace(): string {
    return this.options.namespace;
  }

  /** The phase in force for the next call. */
  get phase(): MigrationPhase {
    const phase = this.phaseOverride ?? (typeof this.options.phase === 'function' ? this.options.phase() : this.options.phase);
    if (!isMigrationPhase(phase)) throw new MigrationConfigError(`invalid migration phase "${String(phase)}" for ${this.options.namespace}`);
    return phase;
  }

  /** Switches the phase at run time (overrides the configured one; `undefined` returns to it). */
  setPhase(phase: MigrationPhase | undefined): void {
    if (phase !== undefined && !isMigrationPhase(phase)) throw new MigrationConfigError(`invalid migration phase "${String(phase)}"`);
    this.phaseOverride = phase;
  }

  /** Our logical key of `id`. */
  key(id: string): string {
    return this.options.cache.key(this.options.namespace, id);
  }

  /** The value of `id` from ours, else (before `only`) from legacy, promoted into ours. */
  async get(id: string): Promise<T | undefined> {
    return (await this.getEntry(id))?.value;
  }

  /** Like {@link get}, with where the value came from. */
  async getEntry(id: string): Promise<MigratingResult<T> | undefined> {
    const key = this.key(id);
    const ours = await this.options.cache.getEntry<T>(key);
    if (ours && ours.value !== undefined) {
      this.stats.read('ours');
      return { ...ours, origin: 'ours' };
    }
    const hit = await this.readLegacy(id);
    if (!hit) {
      this.stats.read('miss');
      return undefined;
    }
    const accepted = await this.options.cache.set(key, hit.value, { ttlSeconds: hit.ttlSeconds, version: this.options.version?.(hit.value) });
    if (!accepted) {
      // Ours holds something newer (or a tombstone): the legacy value must not be served.
      this.stats.promotionsRefused += 1;
      const newer = await this.options.cache.getEntry<T>(key);
      this.stats.read(newer?.value !== undefined ? 'ours' : 'miss');
      return newer?.value !== undefined ? { ...newer, origin: 'ours' } : undefined;
    }
    this.stats.promotions += 1;
    this.stats.read('legacy');
    return { value: hit.value, source: 'loader', version: this.options.version?.(hit.value), storedAt: Date.now(), origin: 'legacy' };
  }

  /**
   * Cache-aside through both stores: ours (with its single-flight, locks, grace), then legacy, then
   * `loader`. A legacy hit is stored in ours with its remaining TTL; in `dual-write` a loaded value is
   * also written to legacy (only if ours kept it, when versions are known).
   */
  async getOrLoad(id: string, loader: () => Promise<T | undefined>, options: GetOrLoadOptions<T> = {}): Promise<MigratingResult<T>> {
    const key = this.key(id);
    const phase = this.phase;
    let origin: 'legacy' | 'loader' | undefined;
    let legacyTtl = 0;
    const policy = options.ttl ?? this.options.ttl;
    const version = options.version ?? this.options.version;
    const result = await this.options.cache.getOrLoad<T>(key, async () => {
      const hit = await this.readLegacy(id, phase);
      if (hit) {
        origin = 'legacy';
        legacyTtl = hit.ttlSeconds;
        return hit.value;
      }
      origin = 'loader';
      return loader();
    }, { ...options, version, ttl: (value: T) => (origin === 'legacy' ? legacyTtl : ttlOf(policy, value)) });

    if (origin === 'legacy') {
      this.stats.promotions += 1;
      this.stats.read('legacy');
      return { ...result, origin: 'legacy' };
    }
    if (origin === 'loader') {
      this.stats.read('miss');
      if (result.value !== undefined && result.source === 'loader') await this.afterFill(id, key, result.value, ttlOf(policy, result.value), phase);
      return { ...result, origin: 'loader' };
    }
    this.stats.read(result.source === 'loader' ? 'coalesced' : 'ours');
    return { ...result, origin: 'ours' };
  }

  /**
   * Writes `value` to ours, then per phase: `dual-write` writes it to legacy (or deletes the legacy copy
   * when ours refused it as older); `primary` (and `only` unless disabled) deletes the legacy copy.
   * Resolves what ours' `set` resolves; legacy failures are counted, never thrown.
   */
  async set(id: string, value: T, options: CacheSetOptions = {}): Promise<boolean> {
    const phase = this.phase;
    const ttlSeconds = options.ttlSeconds ?? ttlOf(this.options.ttl, value);
    const version = options.version ?? this.options.version?.(value);
    const key = this.key(id);
    const accepted = await this.options.cache.set(key, value, { ...options, ttlSeconds, version });
    if (phase === 'dual-write' && accepted) await this.writeLegacy(id, key, value, version, Date.now() + ttlSeconds * 1000);
    else if (this.invalidatesLegacy(phase)) await this.deleteLegacy(id);
    return accepted;
  }

  /** Deletes `id` from ours (with `version`, a tombstone) and, unless the phase forbids it, from legacy. */
  async delete(id: string, options?: { version?: number }): Promise<void> {
    const phase = this.phase;
    await this.options.cache.delete(this.key(id), options);
    if (this.invalidatesLegacy(phase)) await this.deleteLegacy(id);
  }

  /** A snapshot of this namespace's counters (see {@link MigrationStats}). */
  getStats(): MigrationStats {
    return this.stats.snapshot({
      namespace: this.options.namespace,
      phase: this.phase,
      legacy: this.options.legacy?.description ?? 'none',
      legacyCircuit: this.guard?.circuit ?? 'closed',
      suspectKeys: this.suspects.size,
      suspectOverflow: this.suspects.overflowed,
    });
  }

  private invalidatesLegacy(phase: MigrationPhase): boolean {
    if (!this.options.legacy) return false;
    return phase !== 'only' || this.options.invalidateLegacyInOnly !== false;
  }

  private legacyKey(id: string): string {
    return this.options.legacyKey?.(id) ?? id;
  }

  private async readLegacy(id: string, phase = this.phase): Promise<{ value: T; ttlSeconds: number } | undefined> {
    const legacy = this.options.legacy;
    if (!legacy || !this.guard || phase === 'only') return undefined;
    if (this.suspects.has(id)) {
      // Its legacy copy may predate ours: do not read it; try the delete that failed before.
      await this.deleteLegacy(id);
      return undefined;
    }
    const read = await this.guard.run('get', () => legacy.get(this.legacyKey(id)));
    if (!read.ok || !read.value) return undefined;
    const { value, expiresAt } = read.value as { value: T; expiresAt?: number };
    if (expiresAt === undefined) return { value, ttlSeconds: ttlOf(this.options.ttl, value) };
    const remainingMs = expiresAt - Date.now();
    if (remainingMs <= 0) {
      this.stats.legacyExpired += 1;
      return undefined;
    }
    return { value, ttlSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) };
  }

  private async afterFill(id: string, key: string, value: T, ttlSeconds: number, phase: MigrationPhase): Promise<void> {
    if (phase !== 'dual-write') return;
    const version = this.options.version?.(value);
    if (version !== undefined) {
      // A fill that lost a race with an update must not overwrite the update's legacy copy.
      const current = await this.options.cache.getEntry<T>(key);
      if (current?.version !== version) return;
    }
    await this.writeLegacy(id, key, value, version, Date.now() + ttlSeconds * 1000);
  }

  /**
   * Writes `value` to legacy, then (when versions are known) checks that ours still holds that version.
   * If it does not, a newer write overtook this one — possibly on an instance already in `primary`, whose
   * legacy delete this write may have landed after — or ours lost the entry: the legacy copy is deleted,
   * so a late legacy write never outlives a newer write's delete. A delete can only cost a legacy hit,
   * never serve an older value.
   */
  private async writeLegacy(id: string, key: string, value: T, version: number | undefined, expiresAt: number): Promise<void> {
    const legacy = this.options.legacy;
    if (!legacy || !this.guard) return;
    const done = await this.guard.run('set', () => legacy.set(this.legacyKey(id), value, expiresAt));
    this.settle(id, done.ok, 'write');
    if (!done.ok || version === undefined) return;
    const current = await this.options.cache.getEntry<T>(key).catch((error: unknown) => {
      // Unknown is treated as overtaken: the legacy copy is retracted below, which can only cost a legacy hit.
      ignoreError(error, `reading ${this.options.namespace} after a legacy write failed (legacy copy retracted)`, { logger: this.options.logger });
      return undefined;
    });
    if (current?.version !== version) {
      this.stats.legacyWritesRetracted += 1;
      await this.deleteLegacy(id);
    }
  }

  private async deleteLegacy(id: string): Promise<void> {
    const legacy = this.options.legacy;
    if (!legacy || !this.guard) return;
    const done = await this.guard.run('delete', () => legacy.delete(this.legacyKey(id)));
    this.settle(id, done.ok, 'delete');
  }

  private settle(id: string, ok: boolean, kind: 'write' | 'delete'): void {
    if (!ok) {
      this.suspects.add(id);
      return;
    }
    this.suspects.clear(id);
    if (kind === 'write') this.stats.legacyWrites += 1;
    else this.stats.legacyDeletes += 1;
  }
}

function ttlOf<T>(policy: TtlPolicy<T>, value: T): number {
  return typeof policy === 'function' ? policy(value) : policy;
}
