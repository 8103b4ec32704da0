import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ChaosFigure, type ChaosResults, writeReliability } from './reliability-report.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** `CHAOS_LONG=1` (`npm run test:chaos`) selects the long variants; only chaos specs read it. */
export const CHAOS_LONG = process.env.CHAOS_LONG === '1';

/**
 * `CHAOS_RECORD=1` (only `npm run reliability` sets it) makes a run the record: its figures replace the
 * tracked `test/chaos/results/*.json` and RELIABILITY.md. Any other run — `npm test`, a single spec — writes
 * to the git-ignored {@link LAST_RUN_DIR}, so a test run never rewrites a tracked file.
 */
export const CHAOS_RECORD = process.env.CHAOS_RECORD === '1';

/** The tracked record: the figures of the last `npm run reliability`, and the report built from them. */
export const RECORD = { dir: join(ROOT, 'test', 'chaos', 'results'), report: join(ROOT, 'RELIABILITY.md') } as const;

/** Where every other run leaves its figures, with a RELIABILITY.md of its own (git-ignored). */
export const LAST_RUN_DIR = join(ROOT, 'test', 'chaos', '.last-run');
export const LAST_RUN = { dir: LAST_RUN_DIR, report: join(LAST_RUN_DIR, 'RELIABILITY.md') } as const;

/** Picks the short or the long variant of a figure. */
export function variant<T>(short: T, long: T): T {
  return CHAOS_LONG ? long : short;
}

/**
 * Collects the figures of one spec file and, in `afterAll`, writes them to `<dir>/<suite>.json` and rebuilds
 * that folder's report from every results file in it (see {@link CHAOS_RECORD} for which folder). A figure is
 * recorded *before* it is asserted, so a failing run still reports what it measured.
 */
export class ChaosReport {
  private readonly figures: ChaosFigure[] = [];

  constructor(
    private readonly suite: string,
    /** Tests of the report itself pass a folder of their own. */
    private readonly target: { dir: string; report: string } = CHAOS_RECORD ? RECORD : LAST_RUN,
  ) {}

  /** Records one figure (replacing an earlier one of the same item and test). */
  record(figure: ChaosFigure): void {
    const at = this.figures.findIndex((f) => f.item === figure.item && f.test === figure.test);
    if (at >= 0) this.figures.splice(at, 1, figure);
    else this.figures.push(figure);
  }

  /** Writes the results file and rebuilds the report beside it. */
  flush(): void {
    if (this.figures.length === 0) return;
    mkdirSync(this.target.dir, { recursive: true });
    const results: ChaosResults = {
      suite: this.suite,
      variant: CHAOS_LONG ? 'long' : 'short',
      finishedAt: new Date().toISOString(),
      figures: this.figures,
    };
    const file = join(this.target.dir, `${this.suite}.json`);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
    writeReliability(this.target.dir, this.target.report);
  }
}
