// The benchmark plots: SVG files written next to BENCHMARKS.md by the harness, one per question.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresReadsPlot } from './postgres-reads-plot.mjs';
import { redisKillPlot } from './redis-kill-plot.mjs';
import { warmPollPlot } from './warm-poll-plot.mjs';

const PLOTS = [
  { file: 'warm-poll-throughput.svg', alt: 'Warm-poll throughput by variant', render: warmPollPlot },
  { file: 'redis-kill-p99.svg', alt: 'Poll p99 over time through a Redis kill and restart', render: redisKillPlot },
  { file: 'postgres-reads-per-1000-polls.svg', alt: 'PostgreSQL reads per 1 000 polls by variant', render: postgresReadsPlot },
];

/**
 * Writes every plot the run has data for into `dir`; returns `{ file, alt }` of each written, in order.
 * @param {string} dir
 * @param {object} run a stored run (bench/results/*.json)
 * @param {string} commit the line naming the measured commit
 */
export function writePlots(dir, run, commit) {
  mkdirSync(dir, { recursive: true });
  const written = [];
  for (const plot of PLOTS) {
    const svg = plot.render(run, commit);
    if (svg === undefined) continue;
    writeFileSync(join(dir, plot.file), svg);
    written.push({ file: plot.file, alt: plot.alt });
  }
  return written;
}
