import { MigrationConfigError } from './migration.errors.js';

/**
 * Where a namespace stands in its move off a legacy cache.
 * - `dual-write`: writes go to ours, then to legacy; reads try ours, then legacy (a hit is promoted).
 * - `primary`: ours serve; legacy is read only on a miss and never receives a value, only deletes
 *   (so a step back to `dual-write` never finds a value older than ours in legacy).
 * - `only`: legacy is not read and receives no values; deletes still reach it while a legacy source is
 *   configured (so a step back to `primary` stays safe). Remove the source to stop touching it at all.
 */
export type MigrationPhase = 'dual-write' | 'primary' | 'only';

/** Every phase, in the order a migration walks them. */
export const MIGRATION_PHASES: readonly MigrationPhase[] = ['dual-write', 'primary', 'only'];

/** Whether `text` names a phase. */
export function isMigrationPhase(text: string): text is MigrationPhase {
  return (MIGRATION_PHASES as readonly string[]).includes(text);
}

/**
 * Parses per-namespace phases from one configuration string, e.g. an environment variable
 * `CACHE_MIGRATION_PHASES=job=dual-write,report=primary`. Empty → no namespace migrates.
 *
 * @throws MigrationConfigError listing every bad entry.
 */
export function parseMigrationPhases(text: string | undefined): Record<string, MigrationPhase> {
  const out: Record<string, MigrationPhase> = {};
  const problems: string[] = [];
  for (const item of (text ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [namespace, phase, extra] = item.split('=').map((s) => s.trim());
    if (!namespace || !/^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*$/.test(namespace) || extra !== undefined) {
      problems.push(`"${item}": expected namespace=phase`);
    } else if (!phase || !isMigrationPhase(phase)) {
      problems.push(`"${item}": phase must be one of ${MIGRATION_PHASES.join(', ')}`);
    } else if (namespace in out) {
      problems.push(`"${item}": namespace given twice`);
    } else {
      out[namespace] = phase;
    }
  }
  if (problems.length > 0) throw new MigrationConfigError(`invalid migration phases: ${problems.join('; ')}`);
  return out;
}
