import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

// The chaos suites import their timing helpers from here too; one implementation lives in wait.ts.
export { percentile, sleep, until } from './wait.js';

/** One HTTP answer, with how long it took. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** A keep-alive HTTP client for a listening app on loopback, with a per-request time bound. */
export class HttpClient {
  private readonly agent: Agent;

  constructor(private readonly baseUrl: string, maxSockets = 256) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /**
   * Sends a request; never rejects: a transport error or a request longer than `timeoutMs` is status `0`
   * (counted as a failure by the load runner), with the error's name as body.
   */
  send(method: string, path: string, options: { headers?: Record<string, string>; body?: unknown; timeoutMs?: number } = {}): Promise<HttpAnswer> {
    const started = performance.now();
    const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    return new Promise((resolve) => {
      const req = request(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.agent,
          headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
          timeout: options.timeoutMs ?? 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
          res.on('error', (error) => resolve({ status: 0, headers: {}, body: error.name, ms: performance.now() - started }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', (error) => resolve({ status: 0, headers: {}, body: `${error.name}: ${error.message}`, ms: performance.now() - started }));
      req.end(payload);
    });
  }

  /** Closes the keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

/** Latencies and outcomes of a load run. */
export interface LoadResult {
  count: number;
  failures: number;
  statuses: Record<number, number>;
  latencies: number[];
  /** Answers for which `check` returned a message (wrong body, stale version…). */
  problems: string[];
}


/**
 * Runs `concurrency` workers that each send requests back to back until `stop()` says so (checked before each
 * request) or `maxRequests` have been sent in total. `isFailure` decides which answers count as failed polls
 * (default: anything but 2xx/304); `check` may report a problem with an answer's content.
 */
export async function runLoad(options: {
  concurrency: number;
  maxRequests: number;
  stop: () => boolean;
  send: (i: number) => Promise<HttpAnswer>;
  isFailure?: (answer: HttpAnswer) => boolean;
  check?: (answer: HttpAnswer, i: number) => string | undefined;
}): Promise<LoadResult> {
  const result: LoadResult = { count: 0, failures: 0, statuses: {}, latencies: [], problems: [] };
  const isFailure = options.isFailure ?? ((a) => !((a.status >= 200 && a.status < 300) || a.status === 304));
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (!options.stop() && issued < options.maxRequests) {
      const i = issued++;
      const answer = await options.send(i);
      result.count += 1;
      result.latencies.push(answer.ms);
      result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
      if (isFailure(answer)) result.failures += 1;
      const problem = options.check?.(answer, i);
      if (problem !== undefined && result.problems.length < 50) result.problems.push(problem);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return result;
}

/**
 * Samples the event loop's delay; `pause()`/`resume()` leave out a deliberate stall (a forced GC);
 * `stop()` returns p99 and max in ms.
 */
export function watchEventLoop(): { pause: () => void; resume: () => void; stop: () => { p99: number; max: number } } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return {
    pause: () => histogram.disable(),
    resume: () => histogram.enable(),
    stop: () => {
      histogram.disable();
      return { p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
    },
  };
}
