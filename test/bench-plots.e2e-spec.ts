import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { benchCommit, benchFormat, benchGoals, benchPlots, benchReport, type StoredRun } from './support/bench-harness.js';
import { barLengths, paths, polylines, texts } from './support/svg-shapes.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const STORED_RUN = 'bench/results/2026-11-22T03-59-39Z.json';
const storedRun = (): StoredRun => JSON.parse(readFileSync(join(root, STORED_RUN), 'utf8')) as StoredRun;

/** Every value maps to its coordinate by one affine function (within half a pixel): the line plots exactly them. */
function affine(values: readonly number[], coordinates: readonly number[]): boolean {
  const [i, j] = [0, values.findIndex((v) => v !== values[0])];
  const scale = (coordinates[j] - coordinates[i]) / (values[j] - values[i]);
  return values.every((v, k) => Math.abs(coordinates[i] + (v - values[i]) * scale - coordinates[k]) <= 0.5);
}

/** Bar lengths proportional to `values` (within 1 %), one bar per value. */
function proportional(lengths: Map<number, number>, values: readonly number[]): boolean {
  const unit = Math.max(...lengths.values()) / Math.max(...values);
  return lengths.size === values.length && values.every((v, i) => Math.abs((lengths.get(i) ?? 0) - v * unit) <= Math.max(0.5, 0.01 * v * unit));
}

describe('benchmark plots (bench/lib/plots, written with the report)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-plots-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the report embeds the three plots it writes beside itself, and names the measured commit', async () => {
    const { writeReport } = await benchReport();
    const { evaluateGoals } = await benchGoals();
    const run = storedRun();
    run.results.goals = evaluateGoals(run.results);
    writeReport(join(dir, 'BENCHMARKS.md'), run);
    const report = readFileSync(join(dir, 'BENCHMARKS.md'), 'utf8');
    for (const file of ['warm-poll-throughput.svg', 'redis-kill-p99.svg', 'postgres-reads-per-1000-polls.svg']) {
      expect(report).toContain(`(bench/plots/${file})`);
      expect(readFileSync(join(dir, 'bench/plots', file), 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    }
    // This stored run predates commit recording: the report says so, and where its results were committed.
    const added = execFileSync('git', ['log', '--diff-filter=A', '--format=%h', '--', STORED_RUN], { cwd: root, encoding: 'utf8' }).trim();
    expect(report).toContain(`Measured: commit not recorded (the run predates commit recording); its results were committed in ${added} (`);
    expect(texts(readFileSync(join(dir, 'bench/plots/warm-poll-throughput.svg'), 'utf8'))).toContain(`full run of 2026-11-22 03:59:39 UTC · commit not recorded (results committed in ${added})`);
  });

  it('a run records the checked-out commit, and its report names it', async () => {
    const { commitLine, describeCommit } = await benchCommit();
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const commit = describeCommit();
    expect(commit.sha).toBe(head);
    expect(commitLine({ commit })).toMatch(new RegExp(`^commit ${head.slice(0, 12)} \\(“.+”\\)`));
    expect(commitLine({ commit: { ...commit, dirty: ['apps/jobs-api/src/main.ts'] } })).toContain('plus uncommitted changes to apps/jobs-api/src/main.ts');
  });

  it('warm-poll throughput: one bar per variant and scenario, as long as its median, labelled with the rounds’ range', async () => {
    const { warmPollPlot } = await benchPlots();
    const { fmt } = await benchFormat();
    const run = storedRun();
    const [warm, spread] = [run.results.warmPoll!, run.results.spread!];
    const svg = warmPollPlot(run, 'commit x');
    // Variants bottom to top: the table's order, reversed.
    const order = ['uncached', 'ceiling', 'floor', 'stock', 'ours'];
    expect(proportional(barLengths(svg, 0), order.map((n) => warm[n].rps.median))).toBe(true);
    expect(proportional(barLengths(svg, 1), order.map((n) => spread[n].rps.median))).toBe(true);
    const ours = warm.ours.rps;
    expect(texts(svg)).toContain(`${fmt(ours.median)} (${fmt(ours.min)}–${fmt(ours.max)})`);
  });

  it('PostgreSQL reads per 1 000 polls: bars as long as each variant’s figure, beside the seed’s 100–150', async () => {
    const { postgresReadsPlot } = await benchPlots();
    const run = storedRun();
    const mix = run.results.mix!;
    const svg = postgresReadsPlot(run, 'commit x');
    const order = ['uncached', 'stock', 'ours'];
    const lengths = barLengths(svg, 0);
    const figures = order.map((n) => mix[n].readsPer1000Polls);
    // ours reads nothing: a zero-length bar, which the renderer leaves out.
    expect(mix.ours.readsPer1000Polls).toBe(0);
    lengths.set(order.indexOf('ours'), lengths.get(order.indexOf('ours')) ?? 0);
    expect(proportional(lengths, figures)).toBe(true);
    expect(texts(svg)).toContain('the seed: 40 polls → 4–6 queries');
  });

  it('Redis kill, from a per-interval timeline: the line passes through every answered interval’s p99 and breaks where none was answered', async () => {
    const { redisKillPlot } = await benchPlots();
    const bucket = (p99: number | null, failed = 0) => ({ answered: p99 === null ? 0 : 100, p99, failed });
    const phase = (label: string, offsetMs: number, p99s: (number | null)[]) => ({
      label, offsetMs, durationMs: 1000, requests: 400, p99: 0, failed: 0,
      timeline: p99s.map((p99, i) => ({ t: i * 250, ...bucket(p99, p99 === null ? 7 : 0) })),
    });
    const run: StoredRun = {
      ...storedRun(),
      results: {
        outage: {
          ours: {
            bucketMs: 250, killedAtMs: 1000, restartedAtMs: 3000,
            phases: [phase('healthy', 0, [2, 3, 2, 3]), phase('killed: first 1 s', 1000, [40, null, 30, 20]), phase('killed: open', 2000, [10, 11, 10, 12]), phase('restarted', 3200, [5, 4, 3, 2])],
          },
        },
      },
    };
    const svg = redisKillPlot(run, 'commit x');
    expect(texts(svg).join('\n')).toContain('p99 of the polls answered in each 250 ms');
    const line = paths(svg).find((p) => p.stroke === '#2e7d32' && p.fill === 'none' && p.d.includes('L'));
    const runs = polylines(line!.d);
    const points = runs.flat();
    const expected = [2, 3, 2, 3, 40, 30, 20, 10, 11, 10, 12, 5, 4, 3, 2];
    const seconds = [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12.8, 13.8, 14.8, 15.8].map((k) => (k * 250 + 125) / 1000);
    expect(points).toHaveLength(expected.length);
    expect(affine(expected, points.map(([, y]) => y))).toBe(true);
    expect(affine(seconds, points.map(([x]) => x))).toBe(true);
    // Breaks: after each phase, and at the unanswered interval.
    expect(runs.map((r) => r.length)).toEqual([4, 1, 2, 4, 4]);
  });

  it('Redis kill, from a run without a timeline: one step per phase, none where no poll was answered', async () => {
    const { redisKillPlot } = await benchPlots();
    const run = storedRun();
    const svg = redisKillPlot(run, 'commit x');
    expect(texts(svg).join('\n')).toContain('p99 of each phase (this run recorded no per-interval timeline)');
    const stockLine = paths(svg).find((p) => p.stroke === '#1565c0' && p.fill === 'none' && p.d.includes('L'));
    // The stock app answered no poll while Redis was down: steps for the healthy and restarted phases only.
    expect((run.results.outage!.stock.phases as { requests: number }[]).map((p) => p.requests > 0)).toEqual([true, false, false, true]);
    expect(polylines(stockLine!.d)).toHaveLength(2);
  });

  it('writes nothing for a scenario the run did not measure', async () => {
    const { writePlots } = await benchPlots();
    const run: StoredRun = { ...storedRun(), results: { warmPoll: storedRun().results.warmPoll } };
    const only = join(dir, 'only-warm');
    expect(writePlots(only, run, 'commit x').map((p) => p.file)).toEqual(['warm-poll-throughput.svg']);
    expect(existsSync(join(only, 'redis-kill-p99.svg'))).toBe(false);
  });
});
