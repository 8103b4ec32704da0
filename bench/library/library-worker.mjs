// One library under test per process (forked by scenario 6): 50 concurrent async callers hammer one
// operation for a fixed time, and the process reports ops/s (keys/s for the batch operations) and the CPU
// share it got. Bounded by time and by a hard op cap. With `profile`, a CPU profile of the measurement.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { BATCH_SIZE, LIBRARY_ADAPTERS } from './adapters.mjs';

const MAX_OPS = 50_000_000;
const KEYSPACE = 1000;
let adapter;
let job;
let missCounter = 0;
/** A pool of 10 PostgreSQL connections (a typical app's) for the loaders that read bench_jobs, and its ids. */
let db;
let dbIds = 0;
/** The PostgreSQL server processes of the pool's connections. */
const backendPids = [];

const JOB_COLUMNS = 'id, client_id, title, status, current_stage, scenes_completed, scenes_total, version';
/** The loader of one key: one SELECT by id. */
const loadJob = async (id) => (await db.query(`SELECT ${JOB_COLUMNS} FROM bench_jobs WHERE id = $1`, [id])).rows[0];
/** The loader of several keys: one SELECT for all of them, answered in their order. */
const loadJobs = async (ids) => {
  const { rows } = await db.query(`SELECT ${JOB_COLUMNS} FROM bench_jobs WHERE id = ANY($1::bigint[])`, [ids]);
  const byId = new Map(rows.map((row) => [Number(row.id), row]));
  return ids.map((id) => byId.get(id));
};
const nextDbKey = () => {
  const n = missCounter++;
  return { key: `dbmiss${n}`, id: (n % dbIds) + 1 };
};

async function measure(fn, durationMs, concurrency) {
  const deadline = performance.now() + durationMs;
  let ops = 0;
  let errors = 0;
  let firstError;
  const caller = async (start) => {
    let i = start;
    while (performance.now() < deadline && ops < MAX_OPS) {
      for (let n = 0; n < 32; n++) {
        try {
          await fn(i);
        } catch (error) {
          errors += 1;
          firstError ??= error instanceof Error ? error.message : String(error);
        }
        i += concurrency;
        ops += keysPerOp;
      }
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, c) => caller(c)));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Below ~1 while it waited on Redis; far below that while other processes took the cores.
  const cpuShare = (cpu.user + cpu.system) / 1e6 / seconds;
  return { opsPerSec: ops / seconds, ops, errors, firstError, cpuShare };
}

const batchKeys = (i) => Array.from({ length: BATCH_SIZE }, (_, n) => `k${(i * BATCH_SIZE + n) % KEYSPACE}`);
let keysPerOp = 1;

const operations = {
  getL1: () => adapter.getL1 && ((i) => adapter.getL1(`k${i % KEYSPACE}`)),
  getL2: () => adapter.getL2 && ((i) => adapter.getL2(`k${i % KEYSPACE}`)),
  getOrLoad: () => adapter.getOrLoad && (() => adapter.getOrLoad(`miss${missCounter++}`, async () => ({ ...job }))),
  set: () => adapter.set && ((i) => adapter.set(`s${i % 10_000}`, job)),
  // Batches of BATCH_SIZE keys, counted in keys/s: the batch call, and the same keys one call at a time.
  mget: () => adapter.mget && ((i) => adapter.mget(batchKeys(i))),
  mgetOneByOne: () => adapter.mget && (async (i) => { for (const key of batchKeys(i)) await adapter.getL2(key); }),
  mset: () => adapter.mset && ((i) => adapter.mset(batchKeys(i).map((key) => `b${key}`), job)),
  msetOneByOne: () => adapter.mset && (async (i) => { for (const key of batchKeys(i)) await adapter.set(`b${key}`, job); }),
  getOrLoadMany: () => adapter.getOrLoadMany && (() => adapter.getOrLoadMany(Array.from({ length: BATCH_SIZE }, () => `bmiss${missCounter++}`), async (keys) => keys.map(() => ({ ...job })))),
  getOrLoadManyOneByOne: () => adapter.getOrLoadMany && (async () => {
    for (let n = 0; n < BATCH_SIZE; n++) await adapter.getOrLoad(`bmiss${missCounter++}`, async () => ({ ...job }));
  }),
  // The same with a loader that reads PostgreSQL (what getOrLoadMany is for: one query for all misses).
  getOrLoadManyDb: () => adapter.getOrLoadMany && db && (() => {
    const batch = Array.from({ length: BATCH_SIZE }, nextDbKey);
    return adapter.getOrLoadMany(batch.map((b) => b.key), () => loadJobs(batch.map((b) => b.id)));
  }),
  getOrLoadManyDbOneByOne: () => adapter.getOrLoadMany && db && (async () => {
    for (let n = 0; n < BATCH_SIZE; n++) {
      const { key, id } = nextDbKey();
      await adapter.getOrLoad(key, () => loadJob(id));
    }
  }),
};
const BATCH_OPS = new Set(['mget', 'mgetOneByOne', 'mset', 'msetOneByOne', 'getOrLoadMany', 'getOrLoadManyOneByOne', 'getOrLoadManyDb', 'getOrLoadManyDbOneByOne']);

async function setup({ name, redisUrl, prefix, value, databaseUrl, jobCount }) {
  job = value;
  if (databaseUrl && jobCount > 0) {
    // All 10 connections opened now and kept: their server processes are the measurement's, not foreign CPU.
    db = new pg.Pool({ connectionString: databaseUrl, max: 10, idleTimeoutMillis: 0 });
    dbIds = jobCount;
    const clients = await Promise.all(Array.from({ length: 10 }, () => db.connect()));
    for (const client of clients) backendPids.push((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    for (const client of clients) client.release();
  }
  adapter = await LIBRARY_ADAPTERS[name]({ redisUrl, prefix });
  // Fill the keyspace and read it once so that L1 holds it (for the adapters that have an L1).
  for (let i = 0; i < KEYSPACE; i++) await adapter.set(`k${i}`, job);
  // An adapter with neither get reads through getOrLoad (ours answers a CacheResult, the others the value).
  const read = adapter.getL2 ?? adapter.getL1 ?? (async (key) => {
    const r = await adapter.getOrLoad(key, async () => undefined);
    return r && 'source' in r ? r.value : r;
  });
  const check = await read('k1');
  if (!check || check.id !== job.id) throw new Error(`${name}: read back ${JSON.stringify(check)} after set`);
  if (adapter.getL1) for (let i = 0; i < KEYSPACE; i++) await adapter.getL1(`k${i}`);
  return { ok: true };
}

async function run({ op, durationMs, warmupMs, concurrency, profileTo }) {
  const fn = operations[op]();
  if (!fn) return { unsupported: true };
  keysPerOp = BATCH_OPS.has(op) ? BATCH_SIZE : 1;
  // The read keyspace is written again before every read measurement: its entries live 60 s, a full run's
  // library scenario lasts minutes, and the other operations write keys of their own that evict it from a
  // bounded L1. Without this, from the third round on every library's "hit" rounds measured misses (all
  // three fell to ~100k ops/s, the Redis round-trip rate).
  if (op === 'getL1' || op === 'getL2' || op === 'mget' || op === 'mgetOneByOne') {
    for (let i = 0; i < KEYSPACE; i++) await adapter.set(`k${i}`, job);
    if (op === 'getL1') for (let i = 0; i < KEYSPACE; i++) await adapter.getL1(`k${i}`);
  }
  await measure(fn, warmupMs, concurrency);
  if (!profileTo) return measure(fn, durationMs, concurrency);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const result = await measure(fn, durationMs, concurrency);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  writeFileSync(profileTo, JSON.stringify(profile));
  return result;
}

const commands = { setup, run, pids: async () => [process.pid, ...backendPids], close: async () => { await adapter?.close(); await db?.end(); return { ok: true }; } };

process.on('message', (msg) => {
  const reply = (payload) => process.send?.({ id: msg.id, ...payload });
  commands[msg.cmd](msg.opts ?? {}).then((result) => reply({ result }), (error) => reply({ error: error instanceof Error ? error.message : String(error) }));
});
process.on('disconnect', () => process.exit(0));
