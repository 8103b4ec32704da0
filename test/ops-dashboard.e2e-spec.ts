import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AppHarness, bearer, startApp } from './support/app-harness.js';

const ROOT = resolve(import.meta.dirname, '..');
const dashboard = JSON.parse(readFileSync(join(ROOT, 'ops/grafana/dashboards/jobs-api.json'), 'utf8')) as {
  uid: string;
  panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
};
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** The metric names a PromQL expression reads (not functions, label names, strings or numbers). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '');
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]).filter((name) => !PROMQL_WORDS.has(name) && !/^\d/.test(name));
}

/** Issue 13: the Grafana dashboard reads only what the service exports, and covers what operators need. */
describe('Grafana dashboard and Prometheus provisioning', () => {
  let h: AppHarness;
  let exported: Set<string>;

  beforeAll(async () => {
    h = await startApp();
    const job = await h.http().post('/api/v2/jobs').set(bearer('acme')).send({});
    await h.http().get(`/api/v2/jobs/${job.body.id}`).set(bearer('acme'));
    const text = (await h.http().get('/metrics')).text;
    exported = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [name, `${name}_bucket`, `${name}_count`, `${name}_sum`] : [name]),
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reads no metric the service does not export', () => {
    const read = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr)));
    expect(read.length).toBeGreaterThan(10);
    expect(read.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('shows request rate and latency, hit rate by tier, Redis latency and failures, circuit state and L1 size', () => {
    const read = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))));
    for (const needed of [
      'http_request_duration_seconds_count', 'http_request_duration_seconds_bucket', 'redis_cache_reads_total',
      'redis_cache_redis_call_duration_seconds_bucket', 'redis_cache_redis_failures_total', 'redis_cache_circuit_state', 'redis_cache_l1_entries',
    ]) expect([needed, read.has(needed)]).toEqual([needed, true]);
  });

  it('is provisioned in docker-compose: Prometheus scrapes the API, Grafana loads the dashboard from its data source', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const mount of ['./ops/prometheus/prometheus.yml:', './ops/grafana/provisioning:', './ops/grafana/dashboards:']) {
      expect(compose).toContain(mount);
      expect(existsSync(join(ROOT, mount.slice(2, -1)))).toBe(true);
    }
    expect(readFileSync(join(ROOT, 'ops/prometheus/prometheus.yml'), 'utf8')).toMatch(/metrics_path: \/metrics[\s\S]*targets: \['api:3000'\]/);
    const datasource = readFileSync(join(ROOT, 'ops/grafana/provisioning/datasources/prometheus.yml'), 'utf8');
    const uid = /uid: (\S+)/.exec(datasource)?.[1];
    expect(new Set(dashboard.panels.map((p) => p.datasource.uid))).toEqual(new Set([uid]));
  });
});
