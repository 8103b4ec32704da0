import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { CHAOS_RECORD, ChaosReport, LAST_RUN, RECORD } from './chaos-report.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const isIgnored = (path: string): boolean => {
  try {
    execFileSync('git', ['check-ignore', '-q', relative(ROOT, path)], { cwd: ROOT });
    return true;
  } catch (error) {
    // Exit 1: not ignored. Anything else (no git, bad path) is a real failure.
    if ((error as { status?: number }).status === 1) return false;
    throw error;
  }
};

describe('ChaosReport (a test run leaves git status clean)', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('writes to a git-ignored folder unless the run is `npm run reliability`', () => {
    expect(CHAOS_RECORD).toBe(false);
    expect(isIgnored(join(LAST_RUN.dir, 'any-suite.json'))).toBe(true);
    expect(isIgnored(LAST_RUN.report)).toBe(true);
    // The record is tracked: only the reliability script may write it.
    expect(isIgnored(RECORD.report)).toBe(false);
    expect(isIgnored(join(RECORD.dir, 'l1-churn.json'))).toBe(false);
  });

  it('writes its figures and a report built from every results file of its folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chaos-report-'));
    dirs.push(dir);
    const target = { dir, report: join(dir, 'REPORT.md') };
    const figure = { item: '3', test: 'slow Redis', fault: 'delay', asserted: 'p99 ≤ 5 ms', measured: 'p99 | 4 ms', holds: true };
    const report = new ChaosReport('suite-a', target);
    report.record({ ...figure, measured: 'replaced' });
    report.record(figure);
    report.flush();
    new ChaosReport('suite-b', target).flush(); // nothing recorded: writes nothing
    expect(existsSync(join(dir, 'suite-b.json'))).toBe(false);
    const written = JSON.parse(readFileSync(join(dir, 'suite-a.json'), 'utf8')) as { figures: unknown[]; variant: string };
    expect(written).toMatchObject({ variant: 'short', figures: [figure] });
    expect(readFileSync(target.report, 'utf8')).toContain('| 3 | slow Redis | delay | p99 ≤ 5 ms | p99 \\| 4 ms | yes | short, ');
  });
});
