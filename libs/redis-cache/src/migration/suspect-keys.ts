/**
 * Keys whose legacy copy may be older than ours because a legacy write or delete failed. Reads skip
 * legacy for them (and try to repair them with a delete) until a later legacy write or delete succeeds.
 * Bounded: past `max` the oldest is forgotten and counted, so memory stays flat through a long outage.
 */
export class SuspectKeys {
  private readonly keys = new Set<string>();
  private overflowCount = 0;

  constructor(private readonly max: number) {}

  /** Remembers `key` as suspect. */
  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    if (this.keys.size > this.max) {
      const oldest = this.keys.values().next().value as string;
      this.keys.delete(oldest);
      this.overflowCount += 1;
    }
  }

  /** Forgets `key` (its legacy copy was just written or deleted). */
  clear(key: string): void {
    this.keys.delete(key);
  }

  /** Whether `key` is suspect. */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Number of suspect keys held. */
  get size(): number {
    return this.keys.size;
  }

  /** Suspect keys forgotten because the set was full (each may serve an older legacy value). */
  get overflowed(): number {
    return this.overflowCount;
  }
}
