import type { LegacyBatch, LegacyEntry, LegacyRecord, LegacySource, LegacyWalkOptions } from '../legacy-source.interface.js';
import { MigrationConfigError } from '../migration.errors.js';
import { quoteIdentifier } from './sql-identifier.js';

/** What the adapter needs of a `pg` `Pool` or `Client` (any object with a parameterised `query`). */
export interface SqlQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Where the legacy entries live. Identifiers are validated and quoted; values always go as parameters. */
export interface PostgresLegacySourceOptions {
  /** A `pg.Pool` (recommended, with `query_timeout` set) or client. Not closed by the adapter. */
  db: SqlQueryable;
  /** Table, optionally `schema.table`. */
  table: string;
  /** Column holding the key (unique). Any type that PostgreSQL casts from text (text, bigint, uuid…). */
  keyColumn: string;
  /** JSON or JSONB column holding the cached value; `NULL` means "nothing cached". */
  valueColumn: string;
  /** Optional `timestamptz` column with the expiry; `NULL` means "no expiry". */
  expiresAtColumn?: string;
  /**
   * `rows` (default): the table is a cache table; `set` upserts a row (needs a unique key) and `delete`
   * removes it. `column`: the value is a cache column on a row the application owns (the seed's
   * `analytics_cache`); `set` updates the existing row only and `delete` sets the column(s) to `NULL`.
   */
  mode?: 'rows' | 'column';
  /**
   * Top-level numeric field of the values that orders them (e.g. `version`). With it, `set` never replaces
   * a stored value carrying a higher version, so two writers racing on one key leave the newer value. The
   * field name travels as a parameter, never as SQL.
   */
  versionField?: string;
  /**
   * `column` mode with `versionField`: the row's own version column (e.g. `version`). A cached value is then
   * written only if its version equals the row's, and read or walked only while it still does — so a value
   * the row has moved past (a late write from a slow instance, an entry left by the legacy app) is never
   * stored or served, whatever the timing. The strongest guard there is when the cache lives on its row.
   */
  rowVersionColumn?: string;
}

interface Row {
  k: string;
  v: unknown;
  e: Date | null;
}

/**
 * A PostgreSQL table of JSON entries as a {@link LegacySource}. Walks use keyset pagination
 * (`WHERE key > $cursor ORDER BY key LIMIT n`), so a walk holds one batch in memory, costs one index
 * range scan per batch, and resumes exactly after the last key of a checkpointed batch.
 *
 * @example
 * new PostgresLegacySource({ db: pool, table: 'jobs', keyColumn: 'id', valueColumn: 'job_progress_cache',
 *   expiresAtColumn: 'job_progress_cache_expires_at', mode: 'column' })
 */
export class PostgresLegacySource implements LegacySource {
  readonly description: string;
  private readonly sql: { get: string; set: string; delete: string; walkFirst: string; walkAfter: string; count: string };

  constructor(private readonly options: PostgresLegacySourceOptions) {
    const table = quoteIdentifier(options.table, { qualified: true });
    const key = quoteIdentifier(options.keyColumn);
    const value = quoteIdentifier(options.valueColumn);
    const expires = options.expiresAtColumn ? quoteIdentifier(options.expiresAtColumn) : undefined;
    const expiresSel = expires ?? 'NULL::timestamptz';
    const select = `SELECT ${key}::text AS k, ${value} AS v, ${expiresSel} AS e FROM ${table}`;
    if (options.rowVersionColumn !== undefined && (options.mode !== 'column' || options.versionField === undefined)) {
      throw new MigrationConfigError('rowVersionColumn needs mode "column" and a versionField');
    }
    const rowVersion = options.rowVersionColumn ? quoteIdentifier(options.rowVersionColumn) : undefined;
    // With a row version, a stored value counts only while it carries the row's version. `$n` is the
    // parameter holding the version field's name (a parameter, never SQL), per statement.
    const current = (n: number): string => (rowVersion
      ? ` AND jsonb_typeof(${value} -> $${n}::text) = 'number' AND (${value} ->> $${n}::text)::numeric = ${rowVersion}`
      : '');
    const present = `${value} IS NOT NULL`;
    this.description = `postgres:${options.table}.${options.valueColumn}`;
    // $1 key, $2 value, then $3 expiry (if any), then the version field's name (if any).
    const vp = `$${expires ? 4 : 3}::text`;
    const newer = (stored: string): string => options.versionField
      ? ` WHERE (${stored} IS NULL OR jsonb_typeof(${stored} -> ${vp}) IS DISTINCT FROM 'number'`
        + ` OR jsonb_typeof($2::jsonb -> ${vp}) IS DISTINCT FROM 'number' OR (${stored} ->> ${vp})::numeric <= ($2::jsonb ->> ${vp})::numeric)`
      : '';
    const matchesRow = rowVersion ? ` AND jsonb_typeof($2::jsonb -> ${vp}) = 'number' AND ($2::jsonb ->> ${vp})::numeric = cur.${rowVersion}` : '';
    this.sql = {
      get: `${select} WHERE ${key} = $1 AND ${present}${current(2)}`,
      set: options.mode === 'column'
        ? `UPDATE ${table} AS cur SET ${value} = $2::jsonb${expires ? `, ${expires} = $3::timestamptz` : ''}${newer(`cur.${value}`) || ' WHERE true'}${matchesRow} AND cur.${key} = $1`
        : `INSERT INTO ${table} AS cur (${key}, ${value}${expires ? `, ${expires}` : ''}) VALUES ($1, $2::jsonb${expires ? ', $3::timestamptz' : ''})
           ON CONFLICT (${key}) DO UPDATE SET ${value} = EXCLUDED.${value}${expires ? `, ${expires} = EXCLUDED.${expires}` : ''}${newer(`cur.${value}`)}`,
      delete: options.mode === 'column'
        ? `UPDATE ${table} SET ${value} = NULL${expires ? `, ${expires} = NULL` : ''} WHERE ${key} = $1 AND ${present}`
        : `DELETE FROM ${table} WHERE ${key} = $1`,
      walkFirst: `${select} WHERE ${present}${current(2)} ORDER BY ${key} LIMIT $1`,
      walkAfter: `${select} WHERE ${present}${current(3)} AND ${key} > $2 ORDER BY ${key} LIMIT $1`,
      count: `SELECT count(*)::int AS n FROM ${table} WHERE ${present}${current(1)}`,
    };
  }

  /** See {@link LegacySource.get}. */
  async get(key: string): Promise<LegacyEntry | undefined> {
    const { rows } = await this.options.db.query(this.sql.get, [key, ...this.rowVersionParams()]);
    const row = rows[0] as Row | undefined;
    return row ? toEntry(row) : undefined;
  }

  /** See {@link LegacySource.set}. In `column` mode a key without a row is left alone; see `versionField`. */
  async set(key: string, value: unknown, expiresAt?: number): Promise<void> {
    const params: unknown[] = [key, JSON.stringify(value)];
    if (this.options.expiresAtColumn) params.push(expiresAt === undefined ? null : new Date(expiresAt));
    if (this.options.versionField) params.push(this.options.versionField);
    await this.options.db.query(this.sql.set, params);
  }

  /** See {@link LegacySource.delete}. */
  async delete(key: string): Promise<void> {
    await this.options.db.query(this.sql.delete, [key]);
  }

  /** See {@link LegacySource.entries}: keyset pages in key order; the cursor is the last key of a page. */
  async *entries(options: LegacyWalkOptions): AsyncIterable<LegacyBatch> {
    let after = options.after;
    for (;;) {
      const { rows } = after === undefined
        ? await this.options.db.query(this.sql.walkFirst, [options.batchSize, ...this.rowVersionParams()])
        : await this.options.db.query(this.sql.walkAfter, [options.batchSize, after, ...this.rowVersionParams()]);
      const records: LegacyRecord[] = (rows as Row[]).map((row) => ({ key: row.k, ...toEntry(row) }));
      if (records.length === 0) return;
      after = records[records.length - 1].key;
      yield { records, cursor: after };
      if (records.length < options.batchSize) return;
    }
  }

  /** The version field's name as the last parameter of reads, when a row version guards them. */
  private rowVersionParams(): string[] {
    return this.options.rowVersionColumn ? [this.options.versionField!] : [];
  }

  /** See {@link LegacySource.count}. */
  async count(): Promise<number> {
    const { rows } = await this.options.db.query(this.sql.count, this.rowVersionParams());
    return (rows[0] as { n: number }).n;
  }
}

function toEntry(row: Row): LegacyEntry {
  return row.e === null ? { value: row.v } : { value: row.v, expiresAt: row.e.getTime() };
}
