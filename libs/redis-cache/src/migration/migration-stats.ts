import type { CircuitState } from '../engine/cache.types.js';
import type { LegacyOperation } from './legacy-guard.js';
import type { MigrationPhase } from './migration-phase.js';

/** Where a read of a migrating namespace was answered. */
export type MigrationReadSource = 'ours' | 'legacy' | 'miss' | 'coalesced';

/**
 * Counters of one migrating namespace since start. `reads.ours / reads.legacy / reads.misses` answer the
 * question the phases hinge on: once `legacy` stays near 0 %, the legacy store no longer matters.
 */
export interface MigrationStats {
  namespace: string;
  phase: MigrationPhase;
  /** The legacy store's description, or `none`. */
  legacy: string;
  legacyCircuit: CircuitState;
  /** Reads answered by our tiers, by the legacy store, by nobody (loader or absent), or by joining another caller's load. */
  reads: { ours: number; legacy: number; misses: number; coalesced: number };
  /** Percentages (0–100) of ours / legacy / misses among reads that were not coalesced. */
  hitRate: { ours: number; legacy: number; miss: number };
  /** Legacy hits written into our tiers; refused ones met a newer version or a tombstone in ours. */
  promotions: number;
  promotionsRefused: number;
  /** Legacy entries found already expired (treated as misses). */
  legacyExpired: number;
  /** Values written to and keys deleted from the legacy store. */
  legacyWrites: number;
  legacyDeletes: number;
  /**
   * Legacy writes taken back right after they landed because ours had moved past their version (a newer
   * write overtook them, possibly from an instance already in `primary`, or ours lost the entry).
   */
  legacyWritesRetracted: number;
  /** Failed (or timed-out, or circuit-skipped) legacy calls by operation. */
  legacyErrors: Record<LegacyOperation, number>;
  /** Keys whose legacy copy may be older than ours (a legacy write/delete failed); legacy is not read for them. */
  suspectKeys: number;
  /** Suspect keys forgotten because the bounded set was full. */
  suspectOverflow: number;
}

/** Mutable counters behind {@link MigrationStats}. */
export class MigrationStatsCounter {
  readonly reads = { ours: 0, legacy: 0, misses: 0, coalesced: 0 };
  readonly legacyErrors: Record<LegacyOperation, number> = { get: 0, set: 0, delete: 0 };
  promotions = 0;
  promotionsRefused = 0;
  legacyExpired = 0;
  legacyWrites = 0;
  legacyDeletes = 0;
  legacyWritesRetracted = 0;

  /** Counts one read answered by `source`. */
  read(source: MigrationReadSource): void {
    if (source === 'miss') this.reads.misses += 1;
    else this.reads[source] += 1;
  }

  /** A snapshot with the rates computed. */
  snapshot(state: Pick<MigrationStats, 'namespace' | 'phase' | 'legacy' | 'legacyCircuit' | 'suspectKeys' | 'suspectOverflow'>): MigrationStats {
    const { ours, legacy, misses } = this.reads;
    const total = ours + legacy + misses;
    const pct = (n: number): number => (total === 0 ? 0 : Math.round((n / total) * 10_000) / 100);
    return {
      ...state,
      reads: { ...this.reads },
      hitRate: { ours: pct(ours), legacy: pct(legacy), miss: pct(misses) },
      promotions: this.promotions,
      promotionsRefused: this.promotionsRefused,
      legacyExpired: this.legacyExpired,
      legacyWrites: this.legacyWrites,
      legacyDeletes: this.legacyDeletes,
      legacyWritesRetracted: this.legacyWritesRetracted,
      legacyErrors: { ...this.legacyErrors },
    };
  }
}
