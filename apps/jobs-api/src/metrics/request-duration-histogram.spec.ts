import { describe, expect, it } from '@jest/globals';
import { Histogram, Registry } from 'prom-client';
import { RequestDurationHistogram } from './request-duration-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVED: Array<[string, string, number, number]> = [
  ['GET', '/api/v2/jobs/:id', 200, 0.0004],
  ['GET', '/api/v2/jobs/:id', 200, 0.001],
  ['GET', '/api/v2/jobs/:id', 200, 0.05],
  ['GET', '/api/v2/jobs/:id', 304, 0.002],
  ['PATCH', '/api/v2/jobs/:id/progress', 200, 2.5],
  ['GET', 'unmatched', 404, 0.0001],
];

describe('RequestDurationHistogram', () => {
  it('exports exactly what prom-client’s Histogram exports for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new RequestDurationHistogram('http_request_duration_seconds', 'help text', BUCKETS, ours);
    const reference = new Histogram({ name: 'http_request_duration_seconds', help: 'help text', labelNames: ['method', 'route', 'status_code'], buckets: BUCKETS, registers: [theirs] });
    for (const [method, route, status, seconds] of OBSERVED) {
      fast.observe(method, route, status, seconds);
      reference.observe({ method, route, status_code: String(status) }, seconds);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('http_request_duration_seconds_count{method="GET",route="/api/v2/jobs/:id",status_code="200"} 3');
  });

  it('is emptied by the registry’s resetMetrics', async () => {
    const registry = new Registry();
    const fast = new RequestDurationHistogram('h', 'help', BUCKETS, registry);
    fast.observe('GET', '/', 200, 0.5);
    registry.resetMetrics();
    expect(await registry.metrics()).toBe('# HELP h help\n# TYPE h histogram\n');
  });
});
