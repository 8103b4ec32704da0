// A fresh database per run (bench_<random>), dropped at the end, and the one honest counter of database
// load: the table's own scan counters in pg_stat_user_tables. pg_stat_statements would be finer, but it
// needs shared_preload_libraries (a server restart) on the shared PostgreSQL, so we do without it.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sleep } from './net.mjs';

const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url, statement_timeout: 60_000, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `bench_<random>` and returns `{ name, url }`. */
export async function createBenchDatabase() {
  const name = `bench_${randomBytes(5).toString('hex')}`;
  await withClient(ADMIN_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return { name, url };
}

/** Drops the database, cutting any connection a crashed variant left behind. */
export async function dropBenchDatabase(name) {
  if (!/^bench_[0-9a-f]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  await withClient(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** A long-lived client on the bench database for seeding and counters. */
export async function connectBench(url) {
  const client = new pg.Client({ connectionString: url, statement_timeout: 60_000, connectionTimeoutMillis: 5000 });
  await client.connect();
  return client;
}

/** PostgreSQL server version string. */
export async function serverVersion(client) {
  const { rows } = await client.query('SHOW server_version');
  return rows[0].server_version;
}

async function readCounters(client, table) {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await client.query(
    `SELECT coalesce(seq_scan,0)::bigint AS seq, coalesce(idx_scan,0)::bigint AS idx, n_tup_upd::bigint AS upd
       FROM pg_stat_user_tables WHERE relname = $1`, [table]);
  if (rows.length === 0) throw new Error(`table ${table} not found in pg_stat_user_tables`);
  return { scans: Number(rows[0].seq) + Number(rows[0].idx), updates: Number(rows[0].upd) };
}

/**
 * Scan count (seq_scan + idx_scan) of `table`, once it has settled. Backends flush their statistics at most
 * once a second (PGSTAT_MIN_INTERVAL), after going idle, so we re-read until the figure is unchanged for
 * `quietMs` (bounded by `maxWaitMs`).
 */
export async function settledScans(client, table, { quietMs = 1300, maxWaitMs = 8000 } = {}) {
  const deadline = Date.now() + maxWaitMs;
  let last = await readCounters(client, table);
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(200);
    const now = await readCounters(client, table);
    if (now.scans !== last.scans || now.updates !== last.updates) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      break;
    }
  }
  return last;
}
