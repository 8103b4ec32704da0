import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Past this event-loop delay (p99 since the previous liveness check) the process counts as not live. Requests
 * that wait this long behind a blocked loop are failing anyway; a restart is the remedy.
 */
export const LIVENESS_MAX_LOOP_DELAY_MS = 1_000;

/**
 * Event-loop delay as the liveness probe sees it: the p99 and max since the previous check — or, for the
 * first check, since the application finished booting (boot itself blocks the loop; counting it would fail a
 * just-started instance's first probe on a loaded machine).
 */
@Injectable()
export class EventLoopWatch implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });

  constructor() {
    this.histogram.enable();
  }

  onApplicationBootstrap(): void {
    this.histogram.reset();
  }

  /** Reads and restarts the window. */
  sample(): { p99Ms: number; maxMs: number } {
    // Before the first sample of a window the histogram is empty (NaN): nothing delayed yet.
    const p99Ms = this.histogram.count === 0 ? 0 : this.histogram.percentile(99) / 1e6;
    const maxMs = this.histogram.count === 0 ? 0 : this.histogram.max / 1e6;
    this.histogram.reset();
    return { p99Ms: Math.round(p99Ms * 10) / 10, maxMs: Math.round(maxMs * 10) / 10 };
  }

  onModuleDestroy(): void {
    this.histogram.disable();
  }
}
