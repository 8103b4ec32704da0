import type { EntryChange, EntryWatchOptions, WatchedEntry } from './cache.types.js';
import { concerns, type ChangeHints } from './bus/change-hints.js';

/** What an {@link EntryWatch} needs from the engine. */
export interface EntryWatchDeps<T> {
  /** The watched entry's physical key (what change hints name). */
  pk: string;
  /** The logical key, as given to `watch` (what the changes carry). */
  key: string;
  hints: ChangeHints;
  /**
   * Whether the entry, as this instance serves it now, carries no tag (a tag invalidation cannot change it):
   * `false` when unknown.
   */
  untagged: () => boolean;
  /** Whether every acknowledged change reaches this instance as a hint now (else the watch reads on a timer). */
  hintsComplete: () => boolean;
  /** Reads the entry the way a poll does (through the cache, same checks); `undefined`: gone or not visible. */
  read: () => Promise<WatchedEntry<T> | undefined>;
  onChange: (change: EntryChange<T>) => void;
  onError: (error: unknown) => void;
}

/**
 * Follows one entry and reports each newer version of it, in order, once: the change feed behind
 * `CacheService.watch`. It reads the entry (the way a poll would) when it starts, whenever a change hint
 * concerns it (`change-hints.ts`; a tag invalidation does not concern an entry held in L1 without tags), and —
 * while hints may be missing — every `fallbackMs`. So:
 * - **never older than a poll**: every reported value is what a read through the cache returned;
 * - **in order, no repeat**: a version is reported only if it is newer than the last one reported (or than
 *   `after`, for a client resuming); versions superseded before a read saw them are skipped, the newer one
 *   stands for them (the feed is of states, like the entry itself);
 * - **nothing acknowledged is missed**: a write acknowledged by any instance either reached this one as a
 *   hint first (its writer waited for this instance's ack, see `invalidation-bus.ts`) or was acknowledged
 *   after this instance's lease ran out, and then the watch is reading every `fallbackMs`: the acknowledged
 *   version (or a newer one) is reported at most `fallbackMs` + one read after the lease lapsed.
 * Reads never overlap: hints that arrive during a read cause one more read after it.
 */
export class EntryWatch<T> {
  private reading = false;
  private again = false;
  private stopped = false;
  private lastVersion: number | undefined;
  private lastStoredAt: number | undefined;
  private gone = false;
  private readonly unlisten: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: EntryWatchDeps<T>, options: EntryWatchOptions = {}) {
    this.lastVersion = options.after;
    this.unlisten = deps.hints.listen((change) => {
      if (concerns(change, deps.pk, deps.untagged)) this.request();
    });
    const fallbackMs = Math.max(50, options.fallbackMs ?? 1000);
    this.timer = setInterval(() => {
      if (!deps.hintsComplete()) this.request();
    }, fallbackMs);
    this.timer.unref();
    this.request();
  }

  /** Stops reading and reporting; idempotent. */
  stop(): void {
    this.stopped = true;
    this.unlisten();
    clearInterval(this.timer);
  }

  private request(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    this.reading = true;
    try {
      do {
        this.again = false;
        const entry = await this.deps.read();
        if (this.stopped) return;
        this.report(entry);
      } while (this.again && !this.stopped);
    } catch (error) {
      if (!this.stopped) {
        this.stop();
        this.deps.onError(error);
      }
    } finally {
      this.reading = false;
    }
  }

  private report(entry: WatchedEntry<T> | undefined): void {
    const { key } = this.deps;
    if (entry === undefined) {
      if (!this.gone) this.deps.onChange({ op: 'delete', key });
      this.gone = true;
      return;
    }
    const newer = entry.version === undefined
      ? entry.storedAt !== this.lastStoredAt
      : this.lastVersion === undefined || entry.version > this.lastVersion;
    this.gone = false;
    if (!newer) return;
    this.lastVersion = entry.version ?? this.lastVersion;
    this.lastStoredAt = entry.storedAt;
    this.deps.onChange({ op: 'set', key, value: entry.value, version: entry.version, storedAt: entry.storedAt });
  }
}
