import { afterAll, describe } from '@jest/globals';
import { ChaosReport } from '../support/chaos-report.js';
import { CASE_TIMEOUT_MS, type CaseContext, type FaultCase, faultCaseTest, runFaultCase } from '../support/coherence/fault-case.js';
import type { TcpProxy } from '../support/tcp-proxy.js';

/**
 * Issue 10, fault 3: Redis slow — every chunk delayed just above the 200 ms command timeout (250 ms each
 * way) or far above it (1 s each way), on one instance's links (data and bus) or on every instance's. The
 * delayed replies still arrive, late, in order: the worst case for "did my write land?".
 */
const report = new ChaosReport('coherence-slow');
afterAll(() => report.flush());

function slow(id: string, delayMs: number, scope: 'one' | 'all'): FaultCase {
  const proxies = (ctx: CaseContext): TcpProxy[] => (scope === 'one' ? ctx.rig.instances[0].proxies : ctx.rig.live().flatMap((i) => i.proxies));
  return {
    id,
    fault: `Redis slow: +${delayMs} ms each way (command timeout 200 ms) on ${scope === 'one' ? 'one instance\'s links (data + bus)' : 'every instance\'s links'}`,
    inject: async (ctx) => {
      ctx.state.slowed = proxies(ctx);
      for (const p of ctx.state.slowed as TcpProxy[]) p.delayMs = delayMs;
    },
    heal: async (ctx) => {
      for (const p of ctx.state.slowed as TcpProxy[]) p.delayMs = 0;
    },
    evidence: async (ctx) => {
      const forwarded = (ctx.state.slowed as TcpProxy[]).reduce((sum, p) => sum + p.traffic.forwarded, 0);
      return { text: `chunks through the slowed proxies: ${forwarded}`, ok: forwarded > 0 };
    },
  };
}

describe('coherence when Redis is slow (issue 10, fault 3)', () => {
  for (const c of [slow('3a', 250, 'one'), slow('3b', 1_000, 'one'), slow('3c', 250, 'all'), slow('3d', 1_000, 'all')]) {
    const name = `${c.id} · ${c.fault}`;
    faultCaseTest(c)(name, () => runFaultCase(c, report, name), CASE_TIMEOUT_MS);
  }
});
