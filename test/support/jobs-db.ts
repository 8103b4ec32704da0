import pg from 'pg';
import type { AppHarness } from './app-harness.js';

/** The PostgreSQL URL the app under test uses (fresh database on the shared server, or the test's own). */
export function databaseUrlOf(h: AppHarness): string {
  const url = h.config.database.url;
  if (url === undefined) throw new Error('the app runs on the embedded database');
  return url;
}

/** Runs SQL on the app's database with a fresh, time-bounded connection (bypassing the app and its cache). */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000, query_timeout: 10_000 });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * Inserts `count` jobs straight into the table (no cache write: their first poll is a cold miss) and returns
 * their ids in order.
 */
export async function insertJobs(url: string, clientId: string, count: number, title = 'chaos job'): Promise<number[]> {
  const rows = await sql<{ id: string }>(
    url,
    `INSERT INTO jobs (client_id, title, scenes_total) SELECT $1, $2 || ' ' || g, 100 FROM generate_series(1, $3::int) g RETURNING id`,
    [clientId, title, count],
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

/** `version` of every job in `ids`, from PostgreSQL. */
export async function versionsOf(url: string, ids: readonly number[]): Promise<Map<number, number>> {
  const rows = await sql<{ id: string; version: number }>(url, 'SELECT id, version FROM jobs WHERE id = ANY($1::bigint[])', [ids]);
  return new Map(rows.map((r) => [Number(r.id), r.version]));
}
