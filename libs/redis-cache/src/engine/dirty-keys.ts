/** What must be re-applied to Redis before it is trusted again. */
export interface DirtySnapshot {
  keys: string[];
  /** Physical prefixes whose deletion failed. */
  prefixes: string[];
  /** Tags whose invalidation failed. */
  tags: string[];
  overflowed: boolean;
}

/**
 * Keys (and prefixes and tags) whose Redis write, delete or invalidation failed while Redis was
 * unreachable, bounded by `max` in total. Redis may still hold older data for them — after a network cut
 * the server keeps its data — so before Redis is trusted again the engine re-applies each one (see
 * `RedisLink#recover`). Past `max` it stops tracking and sets `overflowed`, and recovery clears the whole
 * prefix instead: coarse, but it never serves an old version.
 */
export class DirtyKeys {
  private keys = new Set<string>();
  private prefixes = new Set<string>();
  private tags = new Set<string>();
  private overflow = false;

  constructor(private readonly max: number) {}

  private get size(): number {
    return this.keys.size + this.prefixes.size + this.tags.size;
  }

  private track(set: Set<string>, value: string): void {
    if (this.overflow || set.has(value)) return;
    if (this.size >= this.max) {
      this.overflow = true;
      this.keys.clear();
      this.prefixes.clear();
      this.tags.clear();
      return;
    }
    set.add(value);
  }

  /** Remembers a key whose write or delete failed. */
  add(key: string): void {
    this.track(this.keys, key);
  }

  /** Remembers a physical prefix whose deletion failed. */
  addPrefix(prefix: string): void {
    this.track(this.prefixes, prefix);
  }

  /** Remembers tags whose invalidation failed. */
  addTags(tags: readonly string[]): void {
    for (const tag of tags) this.track(this.tags, tag);
  }

  /** Whether there is anything to repair. */
  get pending(): boolean {
    return this.overflow || this.size > 0;
  }

  /** Removes and returns what must be repaired now (failures during the repair are tracked afresh). */
  take(): DirtySnapshot {
    const taken = { keys: [...this.keys], prefixes: [...this.prefixes], tags: [...this.tags], overflowed: this.overflow };
    this.keys = new Set();
    this.prefixes = new Set();
    this.tags = new Set();
    this.overflow = false;
    return taken;
  }

  /** Puts a snapshot back after a repair attempt failed. */
  restore(taken: DirtySnapshot): void {
    if (taken.overflowed) this.overflow = true;
    for (const key of taken.keys) this.add(key);
    for (const prefix of taken.prefixes) this.addPrefix(prefix);
    this.addTags(taken.tags);
  }
}
