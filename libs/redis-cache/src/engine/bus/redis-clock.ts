/** How far two clocks may drift apart, as a fraction of the interval measured (1 %: NTP slews far less). */
export const CLOCK_RATE_MARGIN = 0.01;

/**
 * Converts between Redis' clock (`TIME`, epoch ms) and this process' monotonic clock (`performance.now()`),
 * from one round trip in which Redis read its clock: the reading happened at some real moment between the
 * local send and the local receipt. Every conversion is a bound, never an estimate, so a decision based on
 * it is conservative in the direction the caller asks for; intervals are widened by {@link CLOCK_RATE_MARGIN}.
 *
 * @example
 * const clock = new RedisClock(redisNow, sentAt, receivedAt);
 * clock.localLatest(redisNow + 1500) // the latest local moment at which Redis' clock can reach +1500 ms
 */
export class RedisClock {
  constructor(
    /** Redis' clock during the round trip, epoch ms. */
    readonly redisAt: number,
    /** Local clock when the command was sent. */
    readonly sentAt: number,
    /** Local clock when its reply arrived. */
    readonly receivedAt: number,
  ) {}

  /** The least Redis' clock can read at local time `local` (≥ `receivedAt`). */
  redisEarliest(local: number): number {
    const elapsed = local - this.receivedAt;
    return this.redisAt + elapsed - Math.abs(elapsed) * CLOCK_RATE_MARGIN;
  }

  /** The latest local moment at which Redis' clock can reach `redisTime`. */
  localLatest(redisTime: number): number {
    const ahead = redisTime - this.redisAt;
    return this.receivedAt + ahead + Math.abs(ahead) * CLOCK_RATE_MARGIN;
  }

  /** The earliest local moment at which Redis' clock can reach `redisTime`. */
  localEarliest(redisTime: number): number {
    const ahead = redisTime - this.redisAt;
    return this.sentAt + ahead - Math.abs(ahead) * CLOCK_RATE_MARGIN;
  }
}
