import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChaosReport } from '../support/chaos-report.js';
import { LEASE_MS, WRITE_WINDOW_MS } from '../support/coherence/fault-case.js';
import { sleep } from '../support/wait.js';
import { FaultRig, type RigInstance } from '../support/coherence/fault-rig.js';
import { FAULT_TOKENS } from '../support/coherence/recorded-http.js';
import { insertJobs } from '../support/jobs-db.js';

/**
 * Issue 10, the stats: `hits + misses` grows by exactly one per poll that reached the cache, whoever
 * answers it (the fast path or Nest) — a cold poll is one miss, 64 concurrent cold polls are 64, polls of
 * another client's job (404) are one each. One app process, nothing else reading.
 */
const report = new ChaosReport('coherence-stats');
let rig: FaultRig;
let app: RigInstance;
beforeAll(async () => {
  rig = await FaultRig.start({ name: 'stats', instances: 1, leaseMs: LEASE_MS, writeWindowMs: WRITE_WINDOW_MS });
  app = rig.instances[0];
}, 60_000);
afterAll(async () => {
  await rig?.close();
  report.flush();
});

/** `hits` and `misses` of the instance now. */
async function counts(): Promise<{ hits: number; misses: number }> {
  const answer = await app.client.send('GET', '/api/v2/cache/stats', { headers: { authorization: `Bearer ${FAULT_TOKENS.admin}` } });
  const { hits, misses } = (JSON.parse(answer.body) as { statistics: { hits: number; misses: number } }).statistics;
  return { hits, misses };
}

/** Sends `polls` (all at once) and returns the statuses and how `hits` and `misses` moved. */
async function measure(polls: Array<() => Promise<{ status: number }>>): Promise<{ statuses: number[]; hits: number; misses: number }> {
  const before = await counts();
  const statuses = (await Promise.all(polls.map((p) => p()))).map((a) => a.status);
  const after = await counts();
  return { statuses, hits: after.hits - before.hits, misses: after.misses - before.misses };
}

const poll = (id: number, who: 'acme' | 'beta') => () => app.client.send('GET', `/api/v2/jobs/${id}`, { headers: { authorization: `Bearer ${FAULT_TOKENS[who]}` } });

describe('cache stats count each poll once (issue 10)', () => {
  /** Each case polls a job of its own, inserted straight into PostgreSQL (so cold), warmed first when `warm`. */
  const cases: Array<{ name: string; polls: (id: number) => Array<() => Promise<{ status: number }>>; warm?: boolean; status: number; hits?: number; misses?: number }> = [
    { name: 'one cold poll counts one miss', polls: (id) => [poll(id, 'acme')], status: 200, hits: 0, misses: 1 },
    { name: '64 concurrent cold polls of one job count 64', polls: (id) => Array.from({ length: 64 }, () => poll(id, 'acme')), status: 200 },
    { name: '10 warm polls count 10 hits', polls: (id) => Array.from({ length: 10 }, () => poll(id, 'acme')), warm: true, status: 200, hits: 10, misses: 0 },
    { name: '10 polls of another client\'s job count 10', polls: (id) => Array.from({ length: 10 }, () => poll(id, 'beta')), warm: true, status: 404 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const [id] = await insertJobs(rig.databaseUrl, 'acme', 1, 'stats');
      if (c.warm === true) {
        // Warm means cached and served from the cache: on a loaded machine a late heartbeat can leave the
        // cache untrusted for a moment (polls then go to PostgreSQL, misses); poll until one is a HIT.
        let answer = await poll(id, 'acme')();
        for (const until = Date.now() + 10_000; answer.headers['x-cache'] !== 'HIT' && Date.now() < until;) {
          await sleep(50);
          answer = await poll(id, 'acme')();
        }
        expect([answer.status, answer.headers['x-cache']]).toEqual([200, 'HIT']);
      }
      const polls = c.polls(id);
      const m = await measure(polls);
      const counted = m.hits + m.misses;
      const holds = counted === polls.length && m.statuses.every((s) => s === c.status) &&
        (c.hits === undefined || m.hits === c.hits) && (c.misses === undefined || m.misses === c.misses);
      report.record({
        item: 'i10-stats', test: `stats: ${c.name}`, fault: 'none: one instance, nothing else reading',
        asserted: `hits + misses grows by exactly ${polls.length}${c.hits === undefined ? '' : ` (hits +${c.hits}, misses +${c.misses})`}; every answer ${c.status}`,
        measured: `hits +${m.hits}, misses +${m.misses}; answers ${[...new Set(m.statuses)].join('/')}`,
        holds,
      });
      expect(m.statuses.filter((s) => s !== c.status)).toEqual([]);
      expect(counted).toBe(polls.length);
      if (c.hits !== undefined) expect({ hits: m.hits, misses: m.misses }).toEqual({ hits: c.hits, misses: c.misses });
    });
  }
});
