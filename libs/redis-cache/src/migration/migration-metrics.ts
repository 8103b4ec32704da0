import { Counter, Gauge, type Registry } from 'prom-client';
import { MIGRATION_PHASES } from './migration-phase.js';
import type { MigrationStats } from './migration-stats.js';

/** Anything with migration stats: a {@link MigratingCache}. */
export interface MigrationStatsSource {
  getStats(): MigrationStats;
}

/**
 * Registers the migration metrics on `registry`, read from `caches` at scrape time (no timers, nothing
 * to update on the hot path):
 * - `redis_cache_migration_reads_total{namespace,source}` — source `ours|legacy|miss|coalesced`;
 * - `redis_cache_migration_promotions_total{namespace,result}` — `accepted|refused`;
 * - `redis_cache_migration_legacy_ops_total{namespace,operation}` — values written, keys deleted;
 * - `redis_cache_migration_legacy_errors_total{namespace,operation}` — `get|set|delete`;
 * - `redis_cache_migration_legacy_expired_total{namespace}`;
 * - `redis_cache_migration_phase{namespace,phase}` — 1 for the phase in force, 0 for the others;
 * - `redis_cache_migration_suspect_keys{namespace}`.
 *
 * Hit rates are a PromQL ratio, e.g. the share of reads legacy still answers:
 * `sum by (namespace) (rate(redis_cache_migration_reads_total{source="legacy"}[5m])) / sum by (namespace) (rate(redis_cache_migration_reads_total[5m]))`.
 *
 * @param caches the migrating caches, or a function returning them (namespaces added later are picked up).
 * @example registerMigrationMetrics(registry, [jobProgressMigration]);
 */
export function registerMigrationMetrics(registry: Registry, caches: readonly MigrationStatsSource[] | (() => readonly MigrationStatsSource[])): void {
  const all = (): MigrationStats[] => (typeof caches === 'function' ? caches() : caches).map((cache) => cache.getStats());
  const registers = [registry];
  new Counter({
    name: 'redis_cache_migration_reads_total', help: 'Reads of migrating namespaces by the side that answered them.',
    labelNames: ['namespace', 'source'], registers,
    collect() {
      this.reset();
      for (const s of all()) {
        this.inc({ namespace: s.namespace, source: 'ours' }, s.reads.ours);
        this.inc({ namespace: s.namespace, source: 'legacy' }, s.reads.legacy);
        this.inc({ namespace: s.namespace, source: 'miss' }, s.reads.misses);
        this.inc({ namespace: s.namespace, source: 'coalesced' }, s.reads.coalesced);
      }
    },
  });
  new Counter({
    name: 'redis_cache_migration_promotions_total', help: 'Legacy hits written into our tiers (refused: ours held newer).',
    labelNames: ['namespace', 'result'], registers,
    collect() {
      this.reset();
      for (const s of all()) {
        this.inc({ namespace: s.namespace, result: 'accepted' }, s.promotions);
        this.inc({ namespace: s.namespace, result: 'refused' }, s.promotionsRefused);
      }
    },
  });
  new Counter({
    name: 'redis_cache_migration_legacy_ops_total',
    help: 'Values written to and keys deleted from the legacy store (retracted: writes deleted again because ours had moved on).',
    labelNames: ['namespace', 'operation'], registers,
    collect() {
      this.reset();
      for (const s of all()) {
        this.inc({ namespace: s.namespace, operation: 'set' }, s.legacyWrites);
        this.inc({ namespace: s.namespace, operation: 'delete' }, s.legacyDeletes);
        this.inc({ namespace: s.namespace, operation: 'retracted' }, s.legacyWritesRetracted);
      }
    },
  });
  new Counter({
    name: 'redis_cache_migration_legacy_errors_total', help: 'Failed, timed-out or circuit-skipped legacy calls.',
    labelNames: ['namespace', 'operation'], registers,
    collect() {
      this.reset();
      for (const s of all()) {
        for (const [operation, n] of Object.entries(s.legacyErrors)) this.inc({ namespace: s.namespace, operation }, n);
      }
    },
  });
  new Counter({
    name: 'redis_cache_migration_legacy_expired_total', help: 'Legacy entries found already expired.',
    labelNames: ['namespace'], registers,
    collect() {
      this.reset();
      for (const s of all()) this.inc({ namespace: s.namespace }, s.legacyExpired);
    },
  });
  new Gauge({
    name: 'redis_cache_migration_phase', help: 'Migration phase in force (1) per namespace.',
    labelNames: ['namespace', 'phase'], registers,
    collect() {
      this.reset();
      for (const s of all()) for (const phase of MIGRATION_PHASES) this.set({ namespace: s.namespace, phase }, phase === s.phase ? 1 : 0);
    },
  });
  new Gauge({
    name: 'redis_cache_migration_suspect_keys', help: 'Keys whose legacy copy may be older than ours.',
    labelNames: ['namespace'], registers,
    collect() {
      this.reset();
      for (const s of all()) this.set({ namespace: s.namespace }, s.suspectKeys);
    },
  });
}
