import { afterAll, describe, expect, it } from '@jest/globals';
import { ChaosReport } from '../support/chaos-report.js';
import type { HttpAnswer } from '../support/http-load.js';
import { TOKENS } from '../support/app-harness.js';
import { auth, type ListeningApp, startListeningApp } from '../support/listening-app.js';
import { freePort, TestRedisServer } from '../support/redis-server.js';

/**
 * Item 16 of issue 6: a wrong Redis password, TLS spoken to a plain port, and forced errors. Zero
 * occurrences of a password, a token or a cached value in any log line or error body.
 */
const report = new ChaosReport('secrets');
const REDIS_PASSWORD = 'chaos-R3dis-pw-5f1e';
const WRONG_PASSWORD = 'chaos-Wr0ng-pw-77aa';
const CACHED_VALUE = 'chaos-cached-title-9c3b';
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  report.flush();
});

describe('chaos: secrets never leak', () => {
  it('16 · wrong Redis password, TLS to a plain port, forced errors: no secret or cached value in logs or bodies', async () => {
    const redis = await TestRedisServer.start({ args: ['--requirepass', REDIS_PASSWORD] });
    cleanups.push(() => redis.stop());
    const plainPort = await freePort();
    const plain = await TestRedisServer.start({ port: plainPort });
    cleanups.push(() => plain.stop());
    const apps: ListeningApp[] = [];
    for (const redisUrl of [`redis://default:${WRONG_PASSWORD}@127.0.0.1:${redis.port}`, `rediss://:${REDIS_PASSWORD}@127.0.0.1:${plainPort}`, `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`]) {
      const h = await startListeningApp({ redisUrl, env: { LOG_LEVEL: 'verbose', CACHE_COMMAND_TIMEOUT_MS: '100' } });
      cleanups.push(() => h.close());
      apps.push(h);
    }
    const errorBodies: string[] = [];
    let requests = 0;
    for (const h of apps) {
      const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<HttpAnswer> => {
        const answer = await h.client.send(method, path, { headers, body });
        requests += 1;
        if (answer.status >= 400) errorBodies.push(answer.body);
        return answer;
      };
      const created = await call('POST', '/api/v2/jobs', auth('acme'), { title: CACHED_VALUE, scenesTotal: 3 });
      const id = (JSON.parse(created.body) as { id: number }).id;
      await call('GET', `/api/v2/jobs/${id}`, auth('acme'));
      await call('GET', `/api/v2/jobs/${id}`, auth('beta')); // 404: another client's
      await call('GET', `/api/v2/jobs/${id}`, { authorization: `Bearer ${TOKENS.acme}x` }); // 401
      await call('PATCH', `/api/v2/jobs/${id}/progress`, auth('acme'), { scenesCompleted: 1 }); // 403
      await call('PATCH', `/api/v2/jobs/${id}/progress`, auth('admin'), { scenesCompleted: 9 }); // 400
      await call('PATCH', `/api/v2/jobs/${id}/progress`, auth('admin'), { title: CACHED_VALUE }); // 400, echoes a field?
      await call('POST', '/api/v2/jobs', auth('acme'), `{"title": "${CACHED_VALUE}"`); // malformed JSON
      await call('GET', '/api/v2/cache/stats', auth('admin'));
      await call('GET', '/health', {});
    }
    const secrets = [REDIS_PASSWORD, WRONG_PASSWORD, CACHED_VALUE, ...Object.values(TOKENS)];
    const logText = apps.map((h) => h.logs.text).join('\n');
    const inLogs = secrets.filter((s) => logText.includes(s));
    const inBodies = secrets.filter((s) => errorBodies.some((b) => b.includes(s)));
    const logLines = apps.reduce((n, h) => n + h.logs.lines.length, 0);

    report.record({
      item: '16', test: 'secrets in logs and bodies', fault: 'wrong Redis password; rediss:// to a plain port; 401/403/404/400/malformed requests; verbose logging',
      asserted: '0 occurrences of a Redis password, a bearer token or a cached value in any log line or error body',
      measured: `${inLogs.length} secrets in ${logLines} log lines; ${inBodies.length} in ${errorBodies.length} error bodies of ${requests} requests`,
      holds: inLogs.length === 0 && inBodies.length === 0,
    });
    expect(logLines).toBeGreaterThan(30);
    expect(errorBodies.length).toBeGreaterThanOrEqual(18);
    expect(inLogs).toEqual([]);
    expect(inBodies).toEqual([]);
  }, 60_000);
});
