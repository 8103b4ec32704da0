import { afterAll, describe, it } from '@jest/globals';
import { CHAOS_LONG, ChaosReport, variant } from '../support/chaos-report.js';
import { CASE_TIMEOUT_MS, type CaseContext, type FaultCase, faultCaseTest, runFaultCase, WRITE_WINDOW_MS } from '../support/coherence/fault-case.js';
import type { RigInstance } from '../support/coherence/fault-rig.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

/**
 * Issue 10, faults 1 and 7: one instance cut off from Redis (its data and bus connections), the other
 * connected, in both roles (the writer cut off, or the reader); and the bus alone failing while data
 * commands work. Two app processes, each reaching Redis through its own proxies (data, bus). The guarantee:
 * a write is refused (503, row unchanged) or, once acknowledged, never read older on any instance.
 */
const report = new ChaosReport('coherence-partition');
afterAll(() => report.flush());

const writer = (ctx: CaseContext): RigInstance => ctx.rig.instances[0];
const reader = (ctx: CaseContext): RigInstance => ctx.rig.instances[1];

/** Black-holes every byte of `proxies` (sockets stay open: nobody notices but by timeouts). */
const blackhole = (proxies: TcpProxy[]) => async (): Promise<void> => proxies.forEach((p) => p.setMode('blackhole'));
/** Resets every connection of `proxies` and refuses new ones. */
const refuse = (proxies: TcpProxy[]) => async (): Promise<void> => proxies.forEach((p) => p.cut(true));
/** Ends the partition as a network does: the stalled sockets die, new ones pass. */
const reconnect = (proxies: TcpProxy[]) => async (): Promise<void> => proxies.forEach((p) => {
  p.cut();
  p.heal();
});
/** Shows that the proxies met traffic during the fault. */
const touched = (proxies: () => TcpProxy[], what: 'dropped' | 'refused') => async (): Promise<{ text: string; ok: boolean }> => {
  const count = proxies().reduce((sum, p) => sum + p.traffic[what], 0);
  return { text: `${what} by the proxies: ${count} ${what === 'dropped' ? 'chunks' : 'connections'}`, ok: count > 0 };
};

function partition(id: string, who: 'writer' | 'reader', how: 'blackhole' | 'refuse', long?: { faultMs: number }): FaultCase {
  const cut = (ctx: CaseContext) => (who === 'writer' ? writer(ctx) : reader(ctx)).proxies;
  let proxies: TcpProxy[] = [];
  return {
    id,
    fault: `${who} alone cut off from Redis (data + bus: ${how === 'blackhole' ? 'black-holed' : 'reset and refused'})${long ? `, ${long.faultMs / 1000} s: past the write window` : ''}; the other instance connected`,
    // All writes go through the writer: the reader only reads, so its view is what a stale ack would show.
    writeVia: (rig) => [rig.instances[0]],
    inject: async (ctx) => {
      proxies = cut(ctx);
      await (how === 'blackhole' ? blackhole(proxies) : refuse(proxies))();
    },
    heal: async () => reconnect(proxies)(),
    evidence: touched(() => proxies, how === 'blackhole' ? 'dropped' : 'refused'),
    ...(long === undefined ? {} : { faultMs: long.faultMs, outlastsWindow: true }),
  };
}

const busKilledRepeatedly: FaultCase = {
  id: '7a',
  fault: `the bus alone: every instance's subscriber connection reset every ${variant(300, 600)} ms (data connections fine)`,
  inject: async (ctx) => {
    const timer = setInterval(() => ctx.rig.live().forEach((i) => i.bus?.cut()), variant(300, 600));
    ctx.state.stop = () => clearInterval(timer);
  },
  heal: async (ctx) => (ctx.state.stop as () => void)(),
  evidence: async (ctx) => {
    const accepted = ctx.rig.instances.slice(0, 2).reduce((sum, i) => sum + (i.bus?.traffic.accepted ?? 0), 0);
    return { text: `bus connections opened: ${accepted}`, ok: accepted > 4 };
  },
};

const busBlackholed: FaultCase = {
  id: '7b',
  fault: 'the bus alone: the reader\'s subscriber connection black-holed (its data connection fine)',
  inject: async (ctx) => reader(ctx).bus!.setMode('blackhole'),
  heal: async (ctx) => reconnect([reader(ctx).bus!])(),
  evidence: async (ctx) => touched(() => [reader(ctx).bus!], 'dropped')(),
};

describe('coherence under partitions (issue 10, faults 1 and 7)', () => {
  const cases: FaultCase[] = [
    partition('1a', 'writer', 'blackhole'),
    partition('1b', 'writer', 'refuse'),
    partition('1c', 'reader', 'blackhole'),
    partition('1d', 'reader', 'refuse'),
    busKilledRepeatedly,
    busBlackholed,
  ];
  for (const c of cases) {
    const name = `${c.id} · ${c.fault}`;
    faultCaseTest(c)(name, () => runFaultCase(c, report, name), CASE_TIMEOUT_MS);
  }
  const pastWindow = partition('1e', 'writer', 'blackhole', { faultMs: WRITE_WINDOW_MS + 5_000 });
  const name = `${pastWindow.id} · ${pastWindow.fault}`;
  // Long only: it lasts the whole write window (30 s by default).
  (CHAOS_LONG ? it : it.skip)(name, () => runFaultCase(pastWindow, report, name), CASE_TIMEOUT_MS);
});
