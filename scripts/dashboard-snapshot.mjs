#!/usr/bin/env node
// `npm run dashboard:snapshot`: the honest stand-in for a Grafana screenshot on a machine without Grafana.
// Runs the built service on PostgreSQL (DATABASE_URL, default the local server) and a redis-server of its
// own, a real Prometheus (`prometheus` on PATH; Debian's package) scraping it every second, and two minutes of
// load with one Redis freeze. Then it evaluates every query of ops/grafana/dashboards/jobs-api.json over the
// run through Prometheus's HTTP API, draws them with ECharts, and screenshots the page with headless
// Chromium into docs/dashboard.png. Needs `npm run build`, redis-server, prometheus and chromium.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort, startProcess, stopProcess } from './dashboard-snapshot/processes.mjs';
import { runLoad } from './dashboard-snapshot/load.mjs';
import { dashboardHtml, PAGE_SIZE, panelSvg } from './dashboard-snapshot/render.mjs';

const root = resolve(import.meta.dirname, '..');
const seconds = Number(process.env.SNAPSHOT_SECONDS ?? 120);
const adminUrl = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dashboard = JSON.parse(readFileSync(join(root, 'ops/grafana/dashboards/jobs-api.json'), 'utf8'));
const tokens = { admin: 'snapshot-admin-token-0123456789', client: 'snapshot-client-token-0123456789', runaway: 'snapshot-runaway-token-0123456789' };
const work = mkdtempSync(join(tmpdir(), 'dashboard-snapshot-'));
const database = `jobs_snapshot_${Date.now()}`;
const log = (line) => process.stderr.write(`dashboard-snapshot: ${line}\n`);

async function admin(sql) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function queryRange(promUrl, expr, start, end) {
  const url = `${promUrl}/api/v1/query_range?${new URLSearchParams({ query: expr, start: String(start / 1000), end: String(end / 1000), step: '2' })}`;
  const body = await (await fetch(url)).json();
  if (body.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${body.error}`);
  return body.data.result;
}

const legend = (target, metric) => target.legendFormat.replace(/\{\{(\w+)\}\}/g, (_, label) => metric[label] ?? '').replace(/\s+/g, ' ').trim() || target.expr;

const children = [];
try {
  const [apiPort, redisPort, promPort] = [await freePort(), await freePort(), await freePort()];
  await admin(`CREATE DATABASE ${database}`);
  const redis = await startProcess(children, 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { ready: (o) => o.includes('Ready to accept'), name: 'redis-server' });
  await startProcess(children, process.execPath, [join(root, 'dist/apps/jobs-api/src/main.js')], {
    cwd: root,
    env: {
      NODE_ENV: 'production', PORT: String(apiPort), LOG_LEVEL: 'warn',
      DATABASE_URL: `${adminUrl.replace(/\/[^/]*$/, '')}/${database}`, REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      ADMIN_TOKEN: tokens.admin, AUTH_TOKENS: `${tokens.client}:acme,${tokens.runaway}:runaway`,
      POLL_RATE_LIMIT_PER_SECOND: '50', POLL_RATE_LIMIT_BURST: '100', CACHE_TTL_SECONDS: '5',
    },
    probe: async () => (await fetch(`http://127.0.0.1:${apiPort}/health/ready`)).ok, name: 'jobs-api',
  });
  writeFileSync(join(work, 'prometheus.yml'), `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: jobs-api\n    static_configs: [{ targets: ['127.0.0.1:${apiPort}'] }]\n`);
  await startProcess(children, 'prometheus', [`--config.file=${join(work, 'prometheus.yml')}`, `--storage.tsdb.path=${join(work, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
    ready: (o) => o.includes('Server is ready to receive web requests'), name: 'prometheus',
  });
  const promUrl = `http://127.0.0.1:${promPort}`;
  const version = (await (await fetch(`${promUrl}/api/v1/status/buildinfo`)).json()).data.version;

  log(`load for ${seconds} s (Redis frozen from 40 % to 55 % of it)`);
  const start = Date.now();
  const freezeAt = Math.round(seconds * 0.4);
  const thawAt = Math.round(seconds * 0.55);
  await runLoad({
    base: `http://127.0.0.1:${apiPort}`, tokens, seconds,
    phase: (t) => {
      if (t === freezeAt) redis.kill('SIGSTOP');
      if (t === thawAt) redis.kill('SIGCONT');
    },
  });
  await new Promise((r) => setTimeout(r, 3_000)); // the last scrapes
  const end = Date.now();

  const panels = [];
  for (const panel of dashboard.panels) {
    const series = [];
    for (const target of panel.targets) {
      for (const result of await queryRange(promUrl, target.expr, start, end)) {
        series.push({ name: legend(target, result.metric), points: result.values.map(([t, v]) => [t * 1000, Number(v)]).filter(([, v]) => Number.isFinite(v)) });
      }
    }
    panels.push(panelSvg({ title: panel.title, unit: panel.fieldConfig.defaults.unit }, series));
  }
  const when = new Date(start).toISOString().slice(0, 16).replace('T', ' ');
  const html = dashboardHtml({
    title: 'jobs-api — ops/grafana/dashboards/jobs-api.json, drawn without Grafana',
    caption: `Not a Grafana screenshot (Grafana cannot be installed here): every panel query of the dashboard, evaluated by Prometheus ${version} against a real run (${when} UTC, ${seconds} s of load: 8 pollers, one worker, one client over its rate limit, Redis frozen with SIGSTOP from ${freezeAt} s to ${thawAt} s), drawn with ECharts by scripts/dashboard-snapshot.mjs.`,
    panels,
  });
  writeFileSync(join(work, 'dashboard.html'), html);
  mkdirSync(join(root, 'docs'), { recursive: true });
  const rows = Math.ceil(panels.length / 3);
  execFileSync(process.env.CHROMIUM ?? 'chromium', [
    '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=${PAGE_SIZE.width},${rows * PAGE_SIZE.rowHeight + 90}`,
    `--screenshot=${join(root, 'docs/dashboard.png')}`, `file://${join(work, 'dashboard.html')}`,
  ], { stdio: 'ignore' });
  log('wrote docs/dashboard.png');
} finally {
  for (const child of children.reverse()) await stopProcess(child);
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((error) => log(`could not drop ${database}: ${error.message}`));
  rmSync(work, { recursive: true, force: true });
}
