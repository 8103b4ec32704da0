import { createHash } from 'node:crypto';

/**
 * How much slower than an idle core this process runs right now, measured in the same run: a CPU-bound
 * loop for `sampleMs` of wall time, divided by the CPU time the process actually got. On an idle machine
 * the ratio is about 1; with other test files, other engineers' work or a benchmark sharing the 2 cores it
 * grows to 2–5. Never below 1.
 *
 * Wall-clock bounds scale their *scheduling slack* by it (see {@link slack}), never the contract itself: a
 * Redis call bounded by a 200 ms timeout is asserted at 200 ms + 50 ms × factor, not 250 ms × factor.
 */
export function measureSlowdown(sampleMs = 150): number {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let sink = 0;
  while (performance.now() - started < sampleMs) {
    sink += createHash('sha256').update(String(sink)).digest()[0];
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return Math.max(1, Math.round((wallMs / Math.max(cpuMs, 1)) * 100) / 100);
}

let measured: number | undefined;

/** {@link measureSlowdown}, measured once per test file (on first use) and then reused. */
export function slowdown(): number {
  measured ??= measureSlowdown();
  return measured;
}

/**
 * A scheduling allowance of `ms` on an idle machine, stretched by this run's {@link slowdown} (capped at 6×:
 * beyond that the machine is too loaded for any timing figure to mean something, and the test should say so
 * by failing). Use for the part of a bound that is timer and scheduler slack, not for the guarantee itself.
 */
export function slack(ms: number): number {
  return Math.round(ms * Math.min(slowdown(), 6));
}

/** {@link slack}, stretched by the larger of the file's slowdown and one measured now (the load may have grown). */
export function slackNow(ms: number): number {
  return Math.round(ms * Math.min(Math.max(slowdown(), measureSlowdown()), 6));
}
