import type { Keyv } from 'keyv';
import type { LegacyBatch, LegacyEntry, LegacyRecord, LegacySource, LegacyWalkOptions } from '../legacy-source.interface.js';
import { writeUntil } from './write-until.js';

/** Options of {@link KeyvLegacySource}. */
export interface KeyvLegacySourceOptions {
  /** Describes the store in logs and metrics (never a URL with a password). Default `keyv`. */
  description?: string;
  /**
   * Whether the store iterates in the same order every time (a `Map`, SQL stores). Then a walk resumes
   * after the checkpointed position; otherwise (Redis: SCAN order changes as the keyspace grows) it
   * restarts from the top, which the copy makes cheap by skipping keys already present in our tiers.
   */
  stableOrder?: boolean;
}

/**
 * A Keyv instance (any Keyv 5 store: in-memory `Map`, `@keyv/redis`, `@keyv/postgres`…) as a
 * {@link LegacySource}. Expiry comes from Keyv's raw entry (`expires`, epoch ms). Walks need a store with
 * an iterator; note that Keyv's iterator deletes the expired entries it meets.
 *
 * @example new KeyvLegacySource(new Keyv({ store: new KeyvRedis(url), namespace: 'reports' }))
 */
export class KeyvLegacySource implements LegacySource {
  readonly description: string;

  constructor(private readonly keyv: Keyv, private readonly options: KeyvLegacySourceOptions = {}) {
    this.description = options.description ?? 'keyv';
  }

  /** See {@link LegacySource.get}. */
  async get(key: string): Promise<LegacyEntry | undefined> {
    return toEntry(await this.keyv.getRaw(key));
  }

  /** See {@link LegacySource.set}. An `expiresAt` already past deletes the key instead. */
  async set(key: string, value: unknown, expiresAt?: number): Promise<void> {
    await writeUntil(expiresAt, (ttlMs) => this.keyv.set(key, value, ttlMs), () => this.keyv.delete(key));
  }

  /** See {@link LegacySource.delete}. */
  async delete(key: string): Promise<void> {
    await this.keyv.delete(key);
  }

  /**
   * See {@link LegacySource.entries}. The cursor is the number of entries walked so far; it is honoured
   * only with `stableOrder` (see {@link KeyvLegacySourceOptions.stableOrder}).
   */
  async *entries(options: LegacyWalkOptions): AsyncIterable<LegacyBatch> {
    if (!this.keyv.iterator) throw new TypeError(`${this.description} cannot be walked: its Keyv store has no iterator`);
    const skip = this.options.stableOrder && options.after ? Number(options.after) : 0;
    let position = 0;
    let keys: string[] = [];
    const flush = async (): Promise<LegacyBatch> => {
      // The iterator drops `expires`; one getMany per batch brings it back (and skips what expired meanwhile).
      const raws = await this.keyv.getManyRaw(keys);
      const records: LegacyRecord[] = [];
      raws.forEach((raw, i) => {
        const entry = toEntry(raw);
        if (entry) records.push({ key: keys[i], ...entry });
      });
      keys = [];
      return { records, cursor: String(position) };
    };
    for await (const [key] of this.keyv.iterator(undefined)) {
      position += 1;
      if (position <= skip) continue;
      keys.push(String(key));
      if (keys.length >= options.batchSize) yield await flush();
    }
    if (keys.length > 0) yield await flush();
  }
}

function toEntry(raw: { value?: unknown; expires?: number | null } | undefined): LegacyEntry | undefined {
  if (raw === undefined || raw.value === undefined) return undefined;
  return typeof raw.expires === 'number' ? { value: raw.value, expiresAt: raw.expires } : { value: raw.value };
}
