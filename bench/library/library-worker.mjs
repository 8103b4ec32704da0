// One library under test per process (forked by scenario 6): 50 concurrent async callers hammer one
// operation for a fixed time, and the process reports ops/s. Bounded by time and by a hard op cap.
import { performance } from 'node:perf_hooks';
import { LIBRARY_ADAPTERS } from './adapters.mjs';

const MAX_OPS = 50_000_000;
const KEYSPACE = 1000;
let adapter;
let job;
let missCounter = 0;

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
        ops += 1;
      }
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, c) => caller(c)));
  const seconds = (performance.now() - t0) / 1000;
  return { opsPerSec: ops / seconds, ops, errors, firstError };
}

const operations = {
  getL1: () => adapter.getL1 && ((i) => adapter.getL1(`k${i % KEYSPACE}`)),
  getL2: () => adapter.getL2 && ((i) => adapter.getL2(`k${i % KEYSPACE}`)),
  getOrLoad: () => adapter.getOrLoad && (() => adapter.getOrLoad(`miss${missCounter++}`, async () => ({ ...job }))),
  set: () => adapter.set && ((i) => adapter.set(`s${i % 10_000}`, job)),
};

async function setup({ name, redisUrl, prefix, value }) {
  job = value;
  adapter = await LIBRARY_ADAPTERS[name]({ redisUrl, prefix });
  // Fill the keyspace and read it once so that L1 holds it (for the adapters that have an L1).
  for (let i = 0; i < KEYSPACE; i++) await adapter.set(`k${i}`, job);
  const check = adapter.getL2 ? await adapter.getL2('k1') : await adapter.getL1('k1');
  if (!check || check.id !== job.id) throw new Error(`${name}: read back ${JSON.stringify(check)} after set`);
  if (adapter.getL1) for (let i = 0; i < KEYSPACE; i++) await adapter.getL1(`k${i}`);
  return { ok: true };
}

async function run({ op, durationMs, warmupMs, concurrency }) {
  const fn = operations[op]();
  if (!fn) return { unsupported: true };
  // The read keyspace is written again before every read measurement: its entries live 60 s, a full run's
  // library scenario lasts minutes, and the other operations write keys of their own that evict it from a
  // bounded L1. Without this, from the third round on every library's "hit" rounds measured misses (all
  // three fell to ~100k ops/s, the Redis round-trip rate).
  if (op === 'getL1' || op === 'getL2') {
    for (let i = 0; i < KEYSPACE; i++) await adapter.set(`k${i}`, job);
    if (op === 'getL1') for (let i = 0; i < KEYSPACE; i++) await adapter.getL1(`k${i}`);
  }
  await measure(fn, warmupMs, concurrency);
  return measure(fn, durationMs, concurrency);
}

const commands = { setup, run, close: async () => { await adapter?.close(); return { ok: true }; } };

process.on('message', (msg) => {
  const reply = (payload) => process.send?.({ id: msg.id, ...payload });
  commands[msg.cmd](msg.opts ?? {}).then((result) => reply({ result }), (error) => reply({ error: error instanceof Error ? error.message : String(error) }));
});
process.on('disconnect', () => process.exit(0));
