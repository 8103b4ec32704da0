// One library build per process for `bench/hot-path.mjs --lib`: a two-tier CacheEngine (L1 hits, set, miss), an
// L2-only twin (L2 hits), a bus-off instance (set, miss), or raw auto-pipelined ioredis GET + JSON.parse (SET,
// GET then SET); 50 concurrent callers per op.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';

const KEYSPACE = 1000;
let ops;
let close;
let misses = 0;

async function measure(fn, durationMs, concurrency) {
  const deadline = performance.now() + durationMs;
  let done = 0;
  const caller = async (start) => {
    let i = start;
    while (performance.now() < deadline) {
      for (let n = 0; n < 32; n++) {
        await fn(i);
        i += concurrency;
        done += 1;
      }
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, c) => caller(c)));
  const cpu = process.cpuUsage(cpu0);
  // CPU µs per operation: what the client spends, far less swayed than ops/s by other processes on the cores.
  return { opsPerSec: done / ((performance.now() - t0) / 1000), cpuUsPerOp: (cpu.user + cpu.system) / done };
}

async function setup({ kind, dir, redisUrl, prefix, value }) {
  if (kind === 'raw') {
    const redis = new Redis(redisUrl, { enableAutoPipelining: true, commandTimeout: 1000, maxRetriesPerRequest: 1 });
    const get = async (key) => {
      const s = await redis.get(prefix + key);
      return s === null ? undefined : JSON.parse(s);
    };
    for (let i = 0; i < KEYSPACE; i++) await redis.set(`${prefix}k${i}`, JSON.stringify(value), 'EX', 120);
    const set = (key) => redis.set(prefix + key, JSON.stringify(value), 'EX', 120);
    let n = 0;
    const miss = async () => {
      const key = `m${n++}`;
      if ((await get(key)) === undefined) await set(key);
    };
    ops = { getL2: (i) => get(`k${i % KEYSPACE}`), set: (i) => set(`s${i % 10_000}`), miss, setNoBus: (i) => set(`s${i % 10_000}`), missNoBus: miss };
    close = () => redis.quit();
    return { ok: true };
  }
  // Builds before the `/engine` entry exported CacheEngine from the root entry.
  const entry = existsSync(`${dir}/libs/redis-cache/src/engine.js`) ? 'engine.js' : 'index.js';
  const lib = await import(pathToFileURL(`${dir}/libs/redis-cache/src/${entry}`).href);
  const two = new lib.CacheEngine({ redisUrl, keyPrefix: prefix, l1: { enabled: true } });
  const l2 = new lib.CacheEngine({ redisUrl, keyPrefix: prefix, l1: { enabled: false } });
  // Bus off: one instance with nobody to tell (the write and miss paths only).
  const alone = new lib.CacheEngine({ redisUrl, keyPrefix: `${prefix}alone:`, bus: { enabled: false }, l1: { enabled: true } });
  await two.connect();
  await l2.connect();
  await alone.connect();
  const keys = Array.from({ length: KEYSPACE }, (_, i) => two.key('bench', `k${i}`));
  for (const key of keys) await two.set(key, value, { ttlSeconds: 120 });
  for (const key of keys) await two.get(key);
  const loader = async () => value;
  const check = await l2.get(keys[1]);
  if (check?.id !== value.id) throw new Error('read back a different value');
  ops = {
    getL1: (i) => two.get(keys[i % KEYSPACE]),
    getOrLoadL1: (i) => two.getOrLoad(keys[i % KEYSPACE], loader, { ttl: 120 }),
    getL2: (i) => l2.get(keys[i % KEYSPACE]),
    getOrLoadL2: (i) => l2.getOrLoad(keys[i % KEYSPACE], loader, { ttl: 120 }),
    set: (i) => two.set(`s${i % 10_000}`, value, { ttlSeconds: 120 }),
    miss: () => two.getOrLoad(`m${misses++}`, loader, { ttl: 120 }),
    setNoBus: (i) => alone.set(`s${i % 10_000}`, value, { ttlSeconds: 120 }),
    missNoBus: () => alone.getOrLoad(`m${misses++}`, loader, { ttl: 120 }),
  };
  close = async () => { await two.close(); await l2.close(); await alone.close(); };
  return { ok: true };
}

async function run({ op, durationMs, warmupMs, concurrency }) {
  const fn = ops[op];
  if (!fn) return { unsupported: true };
  await measure(fn, warmupMs, concurrency);
  return measure(fn, durationMs, concurrency);
}

const commands = { setup, run, close: async () => { await close?.(); return { ok: true }; } };
process.on('message', (msg) => {
  const reply = (payload) => process.send?.({ id: msg.id, ...payload });
  commands[msg.cmd](msg.opts ?? {}).then((result) => reply({ result }), (error) => reply({ error: error instanceof Error ? error.message : String(error) }));
});
process.on('disconnect', () => process.exit(0));
