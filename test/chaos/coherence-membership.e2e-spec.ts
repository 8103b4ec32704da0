import { afterAll, describe } from '@jest/globals';
import { ChaosReport } from '../support/chaos-report.js';
import { CASE_TIMEOUT_MS, type CaseContext, type FaultCase, faultCaseTest, runFaultCase } from '../support/coherence/fault-case.js';
import type { RigInstance } from '../support/coherence/fault-rig.js';
import { isAck } from '../support/coherence/history.js';

/**
 * Issue 10, fault 5: membership changing under load — an instance starting while the others write (and
 * taking writes at once, before it may have heard its peers), an instance restarting, an instance leaving
 * cleanly (SIGTERM: Nest's shutdown hooks run) and one crashing (SIGKILL), while the others write.
 */
const report = new ChaosReport('coherence-membership');
afterAll(() => report.flush());

/** Writes the instance named `name` acknowledged, as evidence that it took part. */
const ackedBy = (name: () => string) => async (ctx: CaseContext): Promise<{ text: string; ok: boolean }> => {
  const acked = ctx.history.writes.filter((w) => w.instance === name() && isAck(w.status)).length;
  return { text: `writes acknowledged by ${name()}: ${acked}`, ok: acked > 0 };
};

const starting: FaultCase = {
  id: '5a',
  fault: 'an instance starting while the others write; it takes writes as soon as it answers',
  inject: async (ctx) => {
    ctx.state.joined = (await ctx.rig.addInstance()).name;
  },
  heal: async () => undefined,
  freshInstance: false,
  evidence: ackedBy(() => 'app3'),
};

const restarting: FaultCase = {
  id: '5b',
  fault: 'an instance restarting (SIGTERM, then a new process) while the others write',
  inject: async (ctx) => {
    await ctx.rig.leave(ctx.rig.instances[1], 'SIGTERM');
    await ctx.rig.addInstance();
  },
  heal: async () => undefined,
  freshInstance: false,
  evidence: ackedBy(() => 'app3'),
};

function leaving(id: string, how: 'SIGTERM' | 'SIGKILL'): FaultCase {
  const leaver = (ctx: CaseContext): RigInstance => ctx.rig.instances[2];
  return {
    id,
    fault: `an instance leaving ${how === 'SIGTERM' ? 'cleanly (SIGTERM)' : 'by crash (SIGKILL)'} while the other two write`,
    rig: { instances: 3 },
    writeVia: (rig) => rig.instances.slice(0, 2),
    // Two instances stay: no third one needs to start after it.
    freshInstance: false,
    inject: async (ctx) => ctx.rig.leave(leaver(ctx), how),
    heal: async () => undefined,
    evidence: async (ctx) => {
      const exited = !leaver(ctx).app.running;
      return { text: `${leaver(ctx).name} exited: ${exited}`, ok: exited };
    },
  };
}

describe('coherence while instances come and go (issue 10, fault 5)', () => {
  for (const c of [starting, restarting, leaving('5c', 'SIGTERM'), leaving('5d', 'SIGKILL')]) {
    const name = `${c.id} · ${c.fault}`;
    faultCaseTest(c)(name, () => runFaultCase(c, report, name), CASE_TIMEOUT_MS);
  }
});
