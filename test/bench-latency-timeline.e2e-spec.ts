import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { benchLoadGenerator } from './support/bench-harness.js';

/**
 * The load generator's per-interval latency (what the Redis-kill plot draws), against a local server that
 * answers at once for 1 s, then after 150 ms for 1 s, then with 503 for 1 s.
 */
const SLOW_MS = 150;

describe('bench load generator: latency timeline', () => {
  let server: Server;
  let firstRequestAt = 0;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      firstRequestAt ||= Date.now();
      const elapsed = Date.now() - firstRequestAt;
      if (elapsed < 1000) response.end('fast');
      else if (elapsed < 2000) setTimeout(() => response.end('slow'), SLOW_MS);
      else response.writeHead(503).end('down');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('puts each answer in the interval it arrived in: p99 of the 2xx answers, and the failures', async () => {
    const { LoadGenerator } = await benchLoadGenerator();
    const load = new LoadGenerator();
    try {
      const { port } = server.address() as AddressInfo;
      const result = await load.run('autocannon', { url: `http://127.0.0.1:${port}`, paths: ['/'], durationSec: 3, connections: 10, timelineMs: 250 });
      const timeline = result.timeline!;
      expect(timeline.length).toBeGreaterThanOrEqual(11);
      expect(timeline.map((b) => b.t)).toEqual(timeline.map((_b, i) => i * 250));
      // Away from the switches (the two processes' clocks start a few ms apart):
      const between = (from: number, to: number) => timeline.filter((b) => b.t >= from && b.t + 250 <= to);
      for (const b of between(0, 900)) expect(b).toMatchObject({ failed: 0, p99: expect.any(Number) });
      // The slow second's answers cannot come sooner than the server's delay; the fast second's come sooner.
      // A stall of the shared machine can slow one interval of the fast second, so most of them (not all)
      // must answer faster than the delay: a timeline that put slow answers in the fast second fails this.
      // An interval a stall left without any answer has no p99 (null), and says so; every one that answered has it.
      const slow = between(1100, 1900);
      expect(slow.filter((b) => b.answered > 0).length).toBeGreaterThan(0);
      for (const b of slow) {
        if (b.answered > 0) expect(b.p99).toBeGreaterThanOrEqual(SLOW_MS);
        else expect(b.p99).toBeNull();
      }
      const fast = between(0, 900);
      expect(fast.filter((b) => b.p99! < SLOW_MS).length).toBeGreaterThan(fast.length / 2);
      for (const b of between(2100, 2900)) expect(b).toMatchObject({ answered: 0, p99: null });
      for (const b of between(2100, 2900)) expect(b.failed).toBeGreaterThan(0);
      // Every answer is in exactly one interval.
      expect(timeline.reduce((n, b) => n + b.answered, 0)).toBe(result.ok);
      expect(timeline.reduce((n, b) => n + b.failed, 0)).toBe(result.failed);
    } finally {
      await load.close();
    }
  });
});
