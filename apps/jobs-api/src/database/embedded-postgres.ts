import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DataDirLock } from './data-dir-lock.js';

/**
 * PostgreSQL in WebAssembly (PGlite), persisted under a folder and served in-process over the wire protocol,
 * so the ordinary `pg` driver, TypeORM's `postgres` dialect and the same migrations run against it.
 * The socket server serializes transactions: code inside a transaction must use that transaction's manager.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lock: DataDirLock,
    /** Absolute path of the database folder (for the start-up log). */
    readonly path: string,
    /** Connection URL for `pg` (no password: loopback only). */
    readonly url: string,
  ) {}

  /** Locks `<dataDir>`, opens `<dataDir>/pglite` and listens on a free loopback port. */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    const dir = resolve(dataDir);
    const lock = DataDirLock.acquire(dir);
    try {
      const path = join(dir, 'pglite');
      const db = await PGlite.create(path);
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
      await server.start();
      const port = server.getServerConn().split(':').pop();
      return new EmbeddedPostgres(db, server, lock, path, `postgres://postgres@127.0.0.1:${port}/postgres`);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Stops listening, closes the database and releases the folder. Call after the pool is closed. */
  async stop(): Promise<void> {
    try {
      await this.server.stop();
      await this.db.close();
    } finally {
      this.lock.release();
    }
  }
}
