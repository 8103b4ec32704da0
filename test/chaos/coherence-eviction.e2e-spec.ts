import { afterAll, describe } from '@jest/globals';
import type { Redis } from 'ioredis';
import { ChaosReport } from '../support/chaos-report.js';
import { CASE_TIMEOUT_MS, type CaseContext, type FaultCase, faultCaseTest, runFaultCase } from '../support/coherence/fault-case.js';
import { deleteProtocolKeys, type Removed, watchEvictions } from '../support/coherence/eviction-watch.js';
import { pulseEvictions } from '../support/coherence/memory-pressure.js';
import { errorReplies } from '../support/coherence/redis-info.js';

/**
 * Issue 10, fault 6: the keys the protocol relies on going missing — evicted under `allkeys-lru` and under
 * `volatile-lru` (maxmemory pulled 3 KB below use every 25 ms, any key a candidate), and deleted outright by
 * an adversary (every key under `<prefix>!`, every 50 ms). Absence must invalidate, never read as "nothing
 * changed".
 */
const report = new ChaosReport('coherence-eviction');
afterAll(() => report.flush());

interface EvictionState {
  admin: Redis;
  stops: Array<() => unknown>;
  removed: Removed;
  deleted: number;
  oomBefore: number;
}

const stateOf = (ctx: CaseContext): EvictionState => ctx.state as unknown as EvictionState;
const close = async (ctx: CaseContext): Promise<void> => {
  const s = stateOf(ctx);
  while ((s.stops?.length ?? 0) > 0) await s.stops.pop()!();
  s.admin?.disconnect();
};

function evicted(id: string, policy: 'allkeys-lru' | 'volatile-lru'): FaultCase {
  return {
    id,
    fault: `protocol keys and entries evicted: ${policy}, maxmemory-samples 1, maxmemory 3 KB below use every 25 ms`,
    inject: async (ctx) => {
      const s = stateOf(ctx);
      s.admin = ctx.rig.redis!.admin();
      s.oomBefore = await errorReplies(s.admin, 'OOM');
      const watch = await watchEvictions(s.admin, ctx.rig.redis!.admin(), ctx.rig.prefix);
      s.removed = watch.counts;
      const pulses = await pulseEvictions(s.admin, policy);
      s.stops = [watch.stop, pulses.stop];
    },
    heal: async (ctx) => {
      const s = stateOf(ctx);
      await s.stops.pop()!();
    },
    cleanup: close,
    evidence: async (ctx) => {
      const s = stateOf(ctx);
      const { protocol, entries } = s.removed;
      const oom = (await errorReplies(s.admin, 'OOM')) - s.oomBefore;
      return { text: `evicted: ${protocol} protocol keys, ${entries} entries; writes refused for memory: ${oom}`, ok: protocol > 0 && entries > 0 };
    },
  };
}

const adversary: FaultCase = {
  id: '6c',
  fault: 'an adversary deleting every protocol key (<prefix>!…) every 50 ms',
  inject: async (ctx) => {
    const s = stateOf(ctx);
    s.admin = ctx.rig.redis!.admin();
    const evictor = deleteProtocolKeys(s.admin, ctx.rig.prefix);
    s.stops = [async () => {
      s.deleted = await evictor.stop();
    }];
  },
  heal: async (ctx) => {
    await stateOf(ctx).stops.pop()!();
  },
  cleanup: close,
  evidence: async (ctx) => ({ text: `protocol keys deleted: ${stateOf(ctx).deleted}`, ok: stateOf(ctx).deleted > 0 }),
};

describe('coherence when protocol keys vanish (issue 10, fault 6)', () => {
  for (const c of [evicted('6a', 'allkeys-lru'), evicted('6b', 'volatile-lru'), adversary]) {
    const name = `${c.id} · ${c.fault}`;
    faultCaseTest(c)(name, () => runFaultCase(c, report, name), CASE_TIMEOUT_MS);
  }
});
