import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './redis-server.js';

const BIN = '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';

/** Runs a PostgreSQL binary as the `postgres` OS user (initdb and pg_ctl refuse to run as root). */
function runAsPostgres(args: string[], timeoutMs: number): void {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot ? ['runuser', ['-u', OS_USER, '--', ...args]] : [args[0], args.slice(1)];
  const result = spawnSync(command, argv, { stdio: 'pipe', timeout: timeoutMs, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${args[0]} failed (${result.status ?? result.signal}): ${result.stderr}`);
}

/**
 * A PostgreSQL 15 cluster owned by one test: `initdb` into a temporary folder, served on a spare loopback
 * port, trust auth, no fsync. The test can stop it (`immediate`: connections are cut like a crash) and start
 * it again with its data intact. Budget ~2–3 s for {@link start}.
 */
export class TestPostgresCluster {
  private running = false;

  private constructor(readonly port: number, private readonly dir: string) {}

  /** Creates and starts a cluster on a free port. */
  static async start(): Promise<TestPostgresCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'pg-test-'));
    const uid = Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
    const cluster = new TestPostgresCluster(await freePort(), dir);
    runAsPostgres([`${BIN}/initdb`, '-D', cluster.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], 30_000);
    cluster.startServer();
    return cluster;
  }

  private get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** URL of `database` on this cluster (no password: trust auth on loopback). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  get isRunning(): boolean {
    return this.running;
  }

  private startServer(): void {
    const options = `-k /tmp -p ${this.port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
    runAsPostgres([`${BIN}/pg_ctl`, '-D', this.dataDir, '-o', options, '-l', join(this.dir, 'server.log'), '-w', '-t', '20', 'start'], 30_000);
    this.running = true;
  }

  /** Starts the stopped cluster again (same port, same data). */
  async restart(): Promise<void> {
    if (!this.running) this.startServer();
    await Promise.resolve();
  }

  /** Stops the server at once (`-m immediate`): every connection is cut, nothing is answered any more. */
  async stop(): Promise<void> {
    if (!this.running) return;
    runAsPostgres([`${BIN}/pg_ctl`, '-D', this.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop'], 30_000);
    this.running = false;
    await Promise.resolve();
  }

  /** Runs one statement on `database` with a fresh, time-bounded connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'postgres'): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url(database), connectionTimeoutMillis: 3_000, query_timeout: 10_000 });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Stops the server and deletes its folder. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
