import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.types.js';
import { APP_CONFIG } from '../config/config.constants.js';
import type { Principal } from '../auth/principal.types.js';

/** A caller already holds its bound of open job streams on this instance: `429` with `Retry-After`. */
export class TooManyStreamsError extends Error {
  /** A stream usually ends when its job does; a second is what a client should wait before trying again. */
  readonly retryAfterSeconds = 1;

  constructor(readonly limit: number) {
    super(`At most ${limit} job event streams may be open per client (per instance); close one or retry later`);
  }
}

/**
 * Counts the job event streams each caller holds open on this instance (`JOB_STREAMS_PER_CLIENT`), so one
 * client cannot hold every connection and timer of the process. The admin (the workers, and everyone while
 * auth is off) counts as one caller of its own.
 */
@Injectable()
export class JobStreamSlots {
  private readonly open = new Map<string, number>();
  private readonly limit: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limit = config.streams.perClient;
  }

  /**
   * Takes a slot for `principal`; returns the function that gives it back (idempotent).
   * @throws TooManyStreamsError when the caller holds its bound already.
   */
  acquire(principal: Principal): () => void {
    const owner = principal.kind === 'client' ? `client:${principal.clientId}` : 'admin';
    const held = this.open.get(owner) ?? 0;
    if (held >= this.limit) throw new TooManyStreamsError(this.limit);
    this.open.set(owner, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(owner) ?? 1) - 1;
      if (left === 0) this.open.delete(owner);
      else this.open.set(owner, left);
    };
  }

  /** Streams open on this instance, all callers together. */
  get total(): number {
    let n = 0;
    for (const held of this.open.values()) n += held;
    return n;
  }
}
