// Types of pg-counting-proxy.mjs, for the TypeScript tests that count a poll's PostgreSQL reads with it.

/** Statements seen on the wire (see the module's comment for what counts as a read). */
export interface PgCounts {
  reads: number;
  txReads: number;
  writes: number;
  statements: number;
}

/** A loopback proxy in front of PostgreSQL counting the statements on one table. */
export class PgCountingProxy {
  constructor(table: string, upstream?: { host: string; port: number });
  readonly port: number;
  listen(): Promise<number>;
  url(dbUrl: string): string;
  snapshot(): PgCounts;
  close(): Promise<void>;
}
