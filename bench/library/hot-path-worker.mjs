// One library build per process for `bench/hot-path.mjs --lib`: a two-tier CacheEngine (L1 hits), an
// L2-only twin (L2 hits), or raw auto-pipelined ioredis GET + JSON.parse; 50 concurrent callers per op.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';

const KEYSPACE = 1000;
let ops;
let close;

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
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, c) => caller(c)));
  return { opsPerSec: done / ((performance.now() - t0) / 1000) };
}

async function setup({ kind, dir, redisUrl, prefix, value }) {
  if (kind === 'raw') {
    const redis = new Redis(redisUrl, { enableAutoPipelining: true, commandTimeout: 1000, maxRetriesPerRequest: 1 });
    const get = async (key) => {
      const s = await redis.get(prefix + key);
      return s === null ? undefined : JSON.parse(s);
    };
    for (let i = 0; i < KEYSPACE; i++) await redis.set(`${prefix}k${i}`, JSON.stringify(value), 'EX', 120);
    ops = { getL2: (i) => get(`k${i % KEYSPACE}`) };
    close = () => redis.quit();
    return { ok: true };
  }
  const lib = await import(pathToFileURL(`${dir}/libs/redis-cache/src/index.js`).href);
  const two = new lib.CacheEngine({ redisUrl, keyPrefix: prefix, l1: { enabled: true } });
  const l2 = new lib.CacheEngine({ redisUrl, keyPrefix: prefix, l1: { enabled: false } });
  await two.connect();
  await l2.connect();
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
  };
  close = async () => { await two.close(); await l2.close(); };
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
