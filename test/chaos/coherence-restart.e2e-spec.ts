import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ChaosReport, variant } from '../support/chaos-report.js';
import { versionsInRedis } from '../support/coherence/entries-in-redis.js';
import { CASE_TIMEOUT_MS, type CaseContext, type FaultCase, LEASE_MS, faultCaseTest, runFaultCase, WRITE_WINDOW_MS } from '../support/coherence/fault-case.js';
import { FaultRig } from '../support/coherence/fault-rig.js';
import { isAck } from '../support/coherence/history.js';
import { FAULT_TOKENS } from '../support/coherence/recorded-http.js';
import { sleep } from '../support/wait.js';

/**
 * Issue 10, fault 2 on a standalone server: Redis killed and restarted empty; Redis restarted from an older
 * RDB snapshot (so it comes back holding versions older than acknowledged ones); and the recovery check:
 * once the stats say Redis is available again, an acknowledged update has reached Redis.
 */
const report = new ChaosReport('coherence-restart');
afterAll(() => report.flush());

const redisOf = (ctx: CaseContext) => ctx.rig.redis!;
const admin = { authorization: `Bearer ${FAULT_TOKENS.admin}` };
const acme = { authorization: `Bearer ${FAULT_TOKENS.acme}` };

const killedEmpty: FaultCase = {
  id: '2a',
  fault: 'Redis killed (SIGKILL) under load, restarted empty',
  inject: async (ctx) => redisOf(ctx).kill(),
  heal: async (ctx) => {
    rmSync(redisOf(ctx).dumpPath, { force: true });
    await redisOf(ctx).restart();
  },
};

const olderSnapshot: FaultCase = {
  id: '2b',
  fault: 'Redis restarted from an older RDB snapshot (SAVE; writes go on; SIGKILL; the old dump.rdb back; start)',
  inject: async (ctx) => {
    await redisOf(ctx).command('SAVE');
    copyFileSync(redisOf(ctx).dumpPath, `${redisOf(ctx).dumpPath}.old`);
    ctx.state.savedAt = performance.now();
  },
  heal: async (ctx) => {
    await redisOf(ctx).kill();
    ctx.state.killedAt = performance.now();
    copyFileSync(`${redisOf(ctx).dumpPath}.old`, redisOf(ctx).dumpPath);
    await redisOf(ctx).restart();
  },
  evidence: async (ctx) => {
    const rolledBack = ctx.history.writes.filter((w) => isAck(w.status) && w.start > (ctx.state.savedAt as number) && w.end < (ctx.state.killedAt as number)).length;
    return { text: `writes acknowledged between the snapshot and the kill (rolled back by the restart): ${rolledBack}; snapshot loaded ${existsSync(redisOf(ctx).dumpPath)}`, ok: rolledBack > 0 };
  },
};

describe('coherence when Redis restarts (issue 10, fault 2, standalone)', () => {
  for (const c of [killedEmpty, olderSnapshot]) {
    const name = `${c.id} · ${c.fault}`;
    faultCaseTest(c)(name, () => runFaultCase(c, report, name), CASE_TIMEOUT_MS);
  }

  const rounds = variant(5, 10);
  const name = `2d · Redis restarted empty while updates go on, then one update: once the stats say redisAvailable, the acknowledged update is in Redis (${rounds} rounds)`;
  it(name, async () => {
    const rig = await FaultRig.start({ name: 'c2d', leaseMs: LEASE_MS, writeWindowMs: WRITE_WINDOW_MS });
    const results: string[] = [];
    let missing = 0;
    let notAvailable = 0;
    try {
      const [writer] = rig.instances;
      const create = async (): Promise<number> => {
        const created = await writer.client.send('POST', '/api/v2/jobs', { headers: acme, body: { title: 'restart', scenesTotal: 100 } });
        expect(created.status).toBe(201);
        return (JSON.parse(created.body) as { id: number }).id;
      };
      const [id, ...others] = [await create(), await create(), await create(), await create()];
      const patch = (job: number, step: number) => writer.client.send('PATCH', `/api/v2/jobs/${job}/progress`, { headers: admin, body: { scenesCompleted: step % 101 } });
      for (let round = 1; round <= rounds; round++) {
        // Other jobs keep being updated, one writer each, through the outage and the recovery (their keys go
        // dirty meanwhile, and keep going dirty while recovery runs).
        let busy = true;
        const background = Promise.all(others.map(async (other) => {
          for (let step = 0; busy; step++) await patch(other, step);
        }));
        await rig.redis!.kill();
        await sleep(variant(300, 1_000));
        rmSync(rig.redis!.dumpPath, { force: true });
        await rig.redis!.restart();
        const deadline = Date.now() + 15_000;
        let available = false;
        while (!available && Date.now() < deadline) available = (await writer.stats()).redisAvailable;
        if (!available) notAvailable += 1;
        const answer = await patch(id, round);
        const version = answer.status === 200 ? (JSON.parse(answer.body) as { version: number }).version : undefined;
        const client = rig.redis!.admin();
        const inRedis = await versionsInRedis(client, rig.prefix, id).finally(() => client.disconnect());
        busy = false;
        await background;
        if (version === undefined || !inRedis.includes(version)) missing += 1;
        results.push(`round ${round}: available ${available}, update ${answer.status} v${version ?? '-'}, Redis holds [${inRedis.join(',')}]`);
      }
      const holds = missing === 0 && notAvailable === 0;
      report.record({
        item: 'i10-2d', test: name,
        fault: `Redis killed and restarted empty, ${rounds} times, while other jobs are updated without pause; once GET /api/v2/cache/stats says redisAvailable: true, one update`,
        asserted: 'every round: redisAvailable within 15 s, the update acknowledged (200), and Redis then holds the job\'s entry at the acknowledged version',
        measured: `${rounds - missing}/${rounds} rounds with the acknowledged version in Redis; ${results.join('; ')}`,
        holds,
      });
      if (!holds) console.log(`${results.join('\n')}\n--- instance logs ---\n${rig.logs().join('\n')}`);
      expect({ missing, notAvailable }).toEqual({ missing: 0, notAvailable: 0 });
    } finally {
      await rig.close();
    }
  }, CASE_TIMEOUT_MS);
});
