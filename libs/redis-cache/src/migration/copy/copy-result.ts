/** What a copy did to each entry it met. */
export interface CopyCounts {
  /** Entries walked (every outcome below). */
  scanned: number;
  /** Written into our tiers (or, in a dry run, that would have been). */
  copied: number;
  /** Already expired in the legacy store. */
  skippedExpired: number;
  /** Ours already held the key, or refused the write as older (a newer version or a tombstone). */
  skippedPresent: number;
  /** Could not be written (Redis unreachable, value not cacheable). */
  failed: number;
}

/** The outcome of {@link copyLegacyEntries}. */
export interface CopyResult extends CopyCounts {
  /** `completed`, `interrupted` (signal) or `aborted` (Redis became unreachable; resume later). */
  status: 'completed' | 'interrupted' | 'aborted';
  /** The cursor the copy resumed after, if it resumed. */
  resumedFrom?: string;
  dryRun: boolean;
  durationMs: number;
}

/** Counts all at zero. */
export function emptyCounts(): CopyCounts {
  return { scanned: 0, copied: 0, skippedExpired: 0, skippedPresent: 0, failed: 0 };
}
