// A CPU profile of ours under the warm-poll load, summarised by self time: what the closing note of a
// missed goal points at.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { progress } from './log.mjs';
import { sleep } from './net.mjs';
import { startServer } from './server-process.mjs';
import { HTTP_VARIANTS, variantEnv } from './variants.mjs';
import { pollPath, warm } from './http-bench.mjs';

const host = fileURLToPath(new URL('./profile-host.mjs', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Top `n` functions by self time in a .cpuprofile. */
export function summarizeProfile(profile, n = 20) {
  // Percentages of busy time: idle samples say only that the load generator could not keep ours busier.
  const idle = profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').reduce((s, node) => s + (node.hitCount ?? 0), 0);
  const total = profile.nodes.reduce((s, node) => s + (node.hitCount ?? 0), 0) - idle || 1;
  const byFn = new Map();
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === '(idle)') continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    const where = url ? `${url.replace(`file://${repoRoot}`, '').replace(/^.*node_modules\//, 'node_modules/')}:${lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const entry = byFn.get(key) ?? { fn, where, hits: 0 };
    entry.hits += node.hitCount ?? 0;
    byFn.set(key, entry);
  }
  return { samples: total, idleSamples: idle, top: [...byFn.values()].sort((a, b) => b.hits - a.hits).slice(0, n).map((e) => ({ ...e, selfPct: (100 * e.hits) / total })) };
}

/** Profiles ours for `seconds` of warm polling of one job; returns the summary (and writes the profile). */
export async function profileOurs(ctx, outDir, seconds) {
  mkdirSync(outDir, { recursive: true });
  const file = `${outDir}/ours-warm-poll.cpuprofile`;
  const server = await startServer('ours (profiled)', host, {
    env: { ...variantEnv(ctx, 'ours', { prefix: `${ctx.prefix}ours-prof:` }), BENCH_PROFILE_TARGET: HTTP_VARIANTS.ours.script, BENCH_PROFILE_OUT: file },
  });
  try {
    const paths = [pollPath(ctx.ids[0])];
    await warm(ctx, server, paths);
    progress(`profiling ours: ${seconds} s of warm polls`);
    server.child.kill('SIGWINCH');
    await sleep(100);
    await ctx.load.run('autocannon', { url: server.url, paths, durationSec: seconds, connections: 50 });
    server.child.kill('SIGWINCH');
    for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(200);
    await sleep(300);
  } finally {
    await server.stop();
  }
  if (!existsSync(file)) throw new Error('the profile was not written');
  return { file: file.replace(repoRoot, ''), ...summarizeProfile(JSON.parse(readFileSync(file, 'utf8'))) };
}
