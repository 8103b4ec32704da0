/**
 * The benchmark harness (plain ESM JavaScript under bench/lib) as the tests call it, typed at this one
 * boundary: loaded by path with a computed specifier, so tsc does not look for declarations.
 */

/** The parts of a stored run (bench/results/*.json) that the tests read. */
export interface StoredRun {
  startedAt: string;
  mode: string;
  resultsFile?: string;
  opts: Record<string, number | boolean>;
  commit?: { sha: string; subject: string; dirty: string[] } | { unknown: string };
  results: {
    warmPoll?: Record<string, { rps: { median: number; min: number; max: number } }>;
    spread?: Record<string, { rps: { median: number; min: number; max: number } }>;
    mix?: Record<string, { readsPer1000Polls: number }>;
    outage?: Record<string, { phases: { requests: number }[] } | Record<string, unknown>>;
    goals?: unknown[];
  } & Record<string, unknown>;
}

/** Loads `bench/lib/<path>` as `T`. */
export function benchModule<T>(path: string): Promise<T> {
  return import(`../../bench/lib/${path}`) as Promise<T>;
}

type Plot = (run: StoredRun, commit: string) => string;

export const benchReport = () => benchModule<{ writeReport(path: string, run: StoredRun): void }>('report.mjs');
export const benchGoals = () => benchModule<{ evaluateGoals(results: StoredRun['results']): unknown[] }>('goals.mjs');
export const benchCommit = () =>
  benchModule<{ describeCommit(): NonNullable<StoredRun['commit']> & { sha: string }; commitLine(run: Partial<StoredRun>): string }>('commit.mjs');
export const benchFormat = () => benchModule<{ fmt(value: number, digits?: number): string }>('log.mjs');
export const benchPlots = async () => ({
  ...(await benchModule<{ warmPollPlot: Plot }>('plots/warm-poll-plot.mjs')),
  ...(await benchModule<{ postgresReadsPlot: Plot }>('plots/postgres-reads-plot.mjs')),
  ...(await benchModule<{ redisKillPlot: Plot }>('plots/redis-kill-plot.mjs')),
  ...(await benchModule<{ writePlots(dir: string, run: StoredRun, commit: string): { file: string; alt: string }[] }>('plots/index.mjs')),
});

/** One run of autocannon in the load generator's process (bench/lib/load-worker.mjs). */
export interface AutocannonResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  failed: number;
  timeline?: { t: number; answered: number; p99: number | null; max: number | null; failed: number }[];
}

/** The load generator (a forked process). */
export interface LoadGenerator {
  run(command: 'autocannon', options: { url: string; paths: string[]; durationSec: number; connections: number; timelineMs?: number }): Promise<AutocannonResult>;
  close(): Promise<void>;
}

export const benchLoadGenerator = () => benchModule<{ LoadGenerator: new () => LoadGenerator }>('load-generator.mjs');
