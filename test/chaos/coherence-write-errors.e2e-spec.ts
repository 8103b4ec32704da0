import { afterAll, describe } from '@jest/globals';
import type { Redis } from 'ioredis';
import { ChaosReport } from '../support/chaos-report.js';
import { CASE_TIMEOUT_MS, type CaseContext, type FaultCase, faultCaseTest, runFaultCase } from '../support/coherence/fault-case.js';
import { fillUntilOom, releaseMemory } from '../support/coherence/memory-pressure.js';
import { infoNumber } from '../support/coherence/redis-info.js';
import { TestRedisServer } from '../support/redis-server.js';
import { until } from '../support/wait.js';

/**
 * Issue 10, fault 4: Redis refusing writes while reads work — `OOM` (maxmemory with `noeviction`, filled),
 * `READONLY` (the server turned into a replica of another one holding the same data), `NOPERM` (the app's
 * ACL user loses `@write` mid-run). Each case keeps one admin connection open for its commands.
 */
const report = new ChaosReport('coherence-write-errors');
afterAll(() => report.flush());

const adminOf = (ctx: CaseContext): Redis => {
  const client = ctx.state.admin as Redis | undefined;
  if (client !== undefined) return client;
  return (ctx.state.admin = ctx.rig.redis!.admin());
};

/** Error replies the server sent while the fault lasted. */
const errorsDuring = (what: string) => async (ctx: CaseContext): Promise<{ text: string; ok: boolean }> => {
  const errors = (ctx.state.errorsAtHeal as number) - (ctx.state.errorsAtInject as number);
  return { text: `error replies while the fault lasted: ${errors} (${what})`, ok: errors > 0 };
};

/** Wraps a case's inject and heal to count the server's error replies in between; closes what it opened. */
function counted(c: FaultCase): FaultCase {
  return {
    ...c,
    cleanup: async (ctx) => {
      (ctx.state.admin as Redis | undefined)?.disconnect();
      await (ctx.state.other as TestRedisServer | undefined)?.stop();
    },
    inject: async (ctx) => {
      ctx.state.errorsAtInject = await infoNumber(adminOf(ctx), 'stats', 'total_error_replies');
      await c.inject(ctx);
    },
    heal: async (ctx) => {
      ctx.state.errorsAtHeal = await infoNumber(adminOf(ctx), 'stats', 'total_error_replies');
      await c.heal(ctx);
    },
  };
}

const oom = counted({
  id: '4a',
  fault: 'Redis refusing writes with OOM (maxmemory + noeviction, filled with junk); reads work',
  inject: async (ctx) => {
    ctx.state.junk = await fillUntilOom(adminOf(ctx));
  },
  heal: async (ctx) => releaseMemory(adminOf(ctx)),
  evidence: errorsDuring('OOM'),
});

const readonly = counted({
  id: '4b',
  fault: 'Redis refusing writes with READONLY (made a replica of another server holding its data); reads work',
  inject: async (ctx) => {
    const own = ctx.rig.redis!;
    // The other server copies ours first, then ours follows it: reads keep answering the same data.
    const other = await TestRedisServer.start({ password: own.password, args: ['--replicaof', '127.0.0.1', String(own.port)] });
    ctx.state.other = other;
    const client = other.admin();
    try {
      if (!(await until(async () => (await client.info('replication')).includes('master_link_status:up'), 10_000))) throw new Error('the other server never synced');
      await client.call('REPLICAOF', 'NO', 'ONE');
    } finally {
      client.disconnect();
    }
    await adminOf(ctx).call('REPLICAOF', '127.0.0.1', String(other.port));
  },
  heal: async (ctx) => {
    await adminOf(ctx).call('REPLICAOF', 'NO', 'ONE');
  },
  evidence: errorsDuring('READONLY'),
});

const noperm = counted({
  id: '4c',
  fault: 'Redis refusing writes with NOPERM (the app\'s ACL user loses @write mid-run); reads work',
  rig: { aclUser: { name: 'app', rules: ['~*', '&*', '+@all'] } },
  inject: async (ctx) => {
    await adminOf(ctx).call('ACL', 'SETUSER', 'app', '-@write');
  },
  heal: async (ctx) => {
    await adminOf(ctx).call('ACL', 'SETUSER', 'app', '+@write');
  },
  evidence: errorsDuring('NOPERM'),
});

describe('coherence when Redis refuses writes (issue 10, fault 4)', () => {
  for (const c of [oom, readonly, noperm]) {
    const name = `${c.id} · ${c.fault}`;
    faultCaseTest(c)(name, () => runFaultCase(c, report, name), CASE_TIMEOUT_MS);
  }
});
