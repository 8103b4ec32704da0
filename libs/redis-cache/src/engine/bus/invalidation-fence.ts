const BUCKETS = 4096;

/**
 * Detects "an invalidation arrived while I was reading or writing Redis". A reader stamps the fence before
 * an L2 round trip and, before putting what it got into L1, asks whether the key was invalidated since:
 * an invalidation (from the bus, or local) can overtake the reply of a read or write that Redis executed
 * *before* the update, and without this check the old value would land in L1 after the instance acked.
 *
 * Keys hash into a fixed array of buckets (no per-key memory, no cleanup); a collision only means a
 * back-fill is skipped. Prefix, tag and clear invalidations mark everything.
 */
export class InvalidationFence {
  private seq = 0;
  private all = 0;
  private readonly buckets = new Float64Array(BUCKETS);

  /** A stamp to compare against later with {@link changedSince}. */
  stamp(): number {
    return this.seq;
  }

  /** Whether `key` (or everything) was invalidated after `stamp` was taken. */
  changedSince(key: string, stamp: number): boolean {
    return this.all > stamp || this.buckets[bucketOf(key)] > stamp;
  }

  /** Records an invalidation of `key`. */
  mark(key: string): void {
    this.seq += 1;
    this.buckets[bucketOf(key)] = this.seq;
  }

  /** Records an invalidation of every key. */
  markAll(): void {
    this.seq += 1;
    this.all = this.seq;
  }
}

/** FNV-1a over UTF-16 code units: fast, allocation-free, good enough to spread keys over the buckets. */
function bucketOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % BUCKETS;
}
