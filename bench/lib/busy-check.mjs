// Notices when a measurement cannot be trusted: a MONITOR client on the Redis under test (Redis then copies
// every command to it, and throughput halves), or CPU taken by processes other than the one measured and
// Redis (the lead's browser tests on this shared 2-core machine), which starves the measured child.
import { existsSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

const CLOCK_TICKS = 100; // USER_HZ on Linux: /proc times are in 1/100 s.

/** Thrown when the Redis under test has a MONITOR client attached: no figure of the run would mean anything. */
export class RedisMonitoredError extends Error {}

/** The Redis under test: its clients and, when it runs on this machine, its process id. */
export class RedisProbe {
  constructor(redisUrl) {
    this.redis = new Redis(redisUrl, { commandTimeout: 2000, maxRetriesPerRequest: 1, lazyConnect: true });
  }

  async connect() {
    await this.redis.connect();
    const pid = Number(/process_id:(\d+)/.exec(await this.redis.info('server'))?.[1]);
    // Only a local redis-server's CPU can be told apart from the rest of the machine's.
    this.pid = Number.isFinite(pid) && existsSync(`/proc/${pid}/stat`) ? pid : undefined;
  }

  /** Throws {@link RedisMonitoredError} if a client is in MONITOR mode (flag `O` in `CLIENT LIST`). */
  async refuseIfMonitored() {
    const list = String(await this.redis.call('CLIENT', 'LIST'));
    const monitors = list.split('\n').filter((line) => /\bflags=\S*O/.test(line));
    if (monitors.length > 0) {
      throw new RedisMonitoredError(`a MONITOR client is attached to the Redis under test (${monitors.length}: ${monitors.map((l) => /addr=(\S+)/.exec(l)?.[1]).join(', ')}); Redis copies every command to it, so no figure would be the library's — detach it and run again`);
    }
  }

  close() {
    this.redis.disconnect();
  }
}

function machineBusyTicks() {
  // cpu  user nice system idle iowait irq softirq steal …
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  return fields.reduce((a, b) => a + b, 0) - idle;
}

/** CPU time (user + system) `pid` has used, in clock ticks (1/100 s); 0 once it has exited. */
export function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return 0; // exited meanwhile: it used nothing more
  }
}

/**
 * CPU used during a measurement by everything except the listed processes (the measured child, Redis, the
 * harness itself), in cores. `undefined` off Linux.
 */
export function startForeignCpu(pids) {
  if (!existsSync('/proc/stat')) return () => undefined;
  const own = (list) => list.filter(Boolean).reduce((sum, pid) => sum + processTicks(pid), 0);
  const t0 = performance.now();
  const busy0 = machineBusyTicks();
  const own0 = own(pids);
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const foreign = machineBusyTicks() - busy0 - (own(pids) - own0);
    return seconds > 0 ? Math.max(0, foreign) / CLOCK_TICKS / seconds : undefined;
  };
}
