import type { CircuitState } from './cache.types.js';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe is let through, in ms. Default 2000. */
  cooldownMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
  /** Called on every state change (for logs and recovery hooks). */
  onStateChange?: (from: CircuitState, to: CircuitState) => void;
}

/**
 * A consecutive-failure circuit breaker. Closed: calls pass. After `failureThreshold` failures in a row it
 * opens: calls are refused without touching Redis for `cooldownMs`. Then it is half-open: exactly one call
 * (the probe) passes; success closes the circuit, failure opens it for another cool-down.
 * Plain counters, no timers: the state advances when someone asks, so an idle engine holds no handles.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = 'closed';
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.threshold = Math.max(1, options.failureThreshold ?? 5);
    this.cooldownMs = Math.max(0, options.cooldownMs ?? 2000);
    this.now = options.now ?? Date.now;
  }

  /** The current state; an open circuit past its cool-down reads as half-open. */
  get state(): CircuitState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.cooldownMs) this.transition('half-open');
    return this.current;
  }

  /**
   * Asks to make a call. `true` in closed state, and for the single probe in half-open state (the caller
   * must then report {@link success} or {@link failure}); `false` otherwise.
   */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'half-open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /** Reports a successful call: resets the failure count and closes a half-open circuit. */
  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== 'closed') this.transition('closed');
  }

  /** Reports a failed call: a failed probe re-opens at once; otherwise opens at the threshold. */
  failure(): void {
    this.failures += 1;
    const wasProbe = this.probing;
    this.probing = false;
    if (this.current === 'half-open' || wasProbe || (this.current === 'closed' && this.failures >= this.threshold)) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  /** Forces the circuit open now (e.g. the connection dropped): no call waits for a timeout to learn it. */
  trip(): void {
    if (this.current === 'open') return;
    this.openedAt = this.now();
    this.probing = false;
    this.transition('open');
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.options.onStateChange?.(from, to);
  }
}
