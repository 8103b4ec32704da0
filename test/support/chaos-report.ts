import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ChaosFigure, type ChaosResults, writeReliability } from './reliability-report.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** Where each chaos spec leaves the figures of its last run. */
export const RESULTS_DIR = join(ROOT, 'test', 'chaos', 'results');
/** The report built from them. */
export const RELIABILITY_FILE = join(ROOT, 'RELIABILITY.md');

/** `CHAOS_LONG=1` (`npm run test:chaos`) selects the long variants; only chaos specs read it. */
export const CHAOS_LONG = process.env.CHAOS_LONG === '1';

/** Picks the short or the long variant of a figure. */
export function variant<T>(short: T, long: T): T {
  return CHAOS_LONG ? long : short;
}

/**
 * Collects the figures of one spec file and, in `afterAll`, writes them to `test/chaos/results/<suite>.json`
 * and rebuilds RELIABILITY.md from every results file. A figure is recorded *before* it is asserted, so a
 * failing run still reports what it measured.
 */
export class ChaosReport {
  private readonly figures: ChaosFigure[] = [];

  constructor(private readonly suite: string) {}

  /** Records one figure (replacing an earlier one of the same item and test). */
  record(figure: ChaosFigure): void {
    const at = this.figures.findIndex((f) => f.item === figure.item && f.test === figure.test);
    if (at >= 0) this.figures.splice(at, 1, figure);
    else this.figures.push(figure);
  }

  /** Writes the results file and rebuilds RELIABILITY.md. */
  flush(): void {
    if (this.figures.length === 0) return;
    mkdirSync(RESULTS_DIR, { recursive: true });
    const results: ChaosResults = {
      suite: this.suite,
      variant: CHAOS_LONG ? 'long' : 'short',
      finishedAt: new Date().toISOString(),
      figures: this.figures,
    };
    const file = join(RESULTS_DIR, `${this.suite}.json`);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    writeReliability(RESULTS_DIR, RELIABILITY_FILE);
  }
}
