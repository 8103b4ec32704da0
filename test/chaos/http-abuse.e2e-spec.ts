import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { ChaosReport, variant } from '../support/chaos-report.js';
import { type HttpAnswer, sleep } from '../support/http-load.js';
import { databaseUrlOf, insertJobs, sql } from '../support/jobs-db.js';
import { statsOf } from '../support/app-cluster.js';
import { auth, type ListeningApp, startListeningApp } from '../support/listening-app.js';
import { until } from '../support/wait.js';
import { TOKENS } from '../support/app-harness.js';
import { TestRedisServer } from '../support/redis-server.js';

/**
 * Items 12–14 of issue 6: hostile callers against the real app on a Redis this file owns. Zero tolerated
 * failures: no body served to the wrong client, no hostile request changing anything or reaching Redis, no
 * corrupt Redis entry turning into a 5xx or a polluted prototype.
 */
const report = new ChaosReport('http-abuse');
let redis: TestRedisServer;
let h: ListeningApp;
let raw: Redis;
const PREFIX = `abuse-${Math.random().toString(16).slice(2, 10)}:`;

beforeAll(async () => {
  redis = await TestRedisServer.start();
  h = await startListeningApp({ redisUrl: redis.url, env: { CACHE_PREFIX: PREFIX } });
  raw = new Redis(redis.url, { commandTimeout: 2_000, maxRetriesPerRequest: 0 });
}, 60_000);
afterAll(async () => {
  raw?.disconnect();
  await h?.close();
  await redis?.stop();
  report.flush();
});

const send = (method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<HttpAnswer> =>
  h.client.send(method, path, { headers, body, timeoutMs: 10_000 });

/** Every key under the app's prefix (SCAN, never KEYS). */
async function keys(): Promise<Set<string>> {
  const found = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await raw.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 500);
    cursor = next;
    for (const key of batch) found.add(key);
  } while (cursor !== '0');
  return found;
}

/**
 * Watches, with MONITOR (on this file's own Redis), the commands clients send that name one of the app's data
 * keys — entries, tag generations, locks — and not its coordination record or channel (`<prefix>!…`), which
 * every instance uses on its own schedule (heartbeats, and after a command timed out on a loaded machine, the
 * recovery probe). A request that reached the cache shows up here, also as the EVALSHA of a write script.
 */
async function watchDataCommands(): Promise<{ stop: () => Promise<string[]> }> {
  const client = raw.duplicate();
  const monitor = await client.monitor();
  const seen: string[] = [];
  const marker = `marker-${Math.random()}`;
  let marked = false;
  // This file's own client (SCAN for the key census, the marker) is not the app.
  const ours = `127.0.0.1:${(raw.stream as { localPort?: number }).localPort}`;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (args[1] === marker) marked = true;
    else if (source !== ours && args.slice(1).some((a) => a.startsWith(PREFIX) && !a.startsWith(`${PREFIX}!`))) seen.push(args.join(' ').slice(0, 120));
  });
  return {
    stop: async () => {
      // MONITOR is asynchronous: a marker sent last closes the window.
      await raw.echo(marker);
      await until(() => marked, 5_000);
      monitor.disconnect();
      client.disconnect();
      return seen;
    },
  };
}

describe('chaos: hostile HTTP callers', () => {
  it('12 · cross-client leakage: identical URLs, varied tokens, query order, case, slashes, encodings', async () => {
    const db = databaseUrlOf(h);
    const mine = { acme: await insertJobs(db, 'acme', 5, 'acme job'), beta: await insertJobs(db, 'beta', 5, 'beta job') };
    const all = [...mine.acme, ...mine.beta];
    const tokenForms = (who: 'acme' | 'beta') => [`Bearer ${TOKENS[who]}`, `bearer ${TOKENS[who]}`, `BEARER   ${TOKENS[who]} `];
    const urls = (id: number) => [
      `/api/v2/jobs/${id}`, `/api/v2/jobs/${id}/`, `/api/v2/jobs/${id}?a=1&b=2`, `/api/v2/jobs/${id}?b=2&a=1`, `/api/v2/jobs/%3${String(id)[0]}${String(id).slice(1)}`,
      `/API/v2/jobs/${id}`, `/api/v2/jobs//${id}`, `/api/v2/jobs/${id}#x`, `/api/v2/./jobs/${id}`,
      '/api/v2/jobs', '/api/v2/jobs?limit=5', '/api/v2/jobs?limit=5&x=1', '/api/v2/jobs/', '/api/v2/jobs?LIMIT=5',
    ];
    const rounds = variant(3, 12);
    let requests = 0;
    let leaks = 0;
    let served = 0;
    const failures: string[] = [];
    let shed = 0;
    for (let r = 0; r < rounds; r++) {
      const batch: Array<Promise<void>> = [];
      for (const who of ['acme', 'beta'] as const) {
        for (const header of tokenForms(who)) {
          for (const id of all) {
            for (const url of urls(id)) {
              batch.push(send('GET', url, { authorization: header }).then((answer) => {
                requests += 1;
                // A burst of 840 requests may outrun the PostgreSQL pool on a loaded machine: that is the API's
                // documented load shedding (503 with Retry-After, nothing changed), not a fault. Anything else
                // 5xx, or a dropped connection, is.
                if (answer.status === 503 && answer.headers['retry-after'] !== undefined) shed += 1;
                else if (answer.status >= 500 || answer.status === 0) failures.push(`${answer.status} ${url}`);
                if (answer.status !== 200) return;
                served += 1;
                const body = JSON.parse(answer.body) as { clientId?: string; items?: Array<{ clientId: string }> };
                const owners = body.items ? body.items.map((i) => i.clientId) : [body.clientId];
                if (owners.some((owner) => owner !== who)) leaks += 1;
              }));
            }
          }
        }
      }
      await Promise.all(batch);
    }
    report.record({
      item: '12', test: 'cross-client leakage', fault: `2 clients × ${rounds} rounds × 3 token spellings × 10 jobs × 14 URL variants (trailing slash, query order, case, %-encoding, //, ./)`,
      asserted: '0 bodies holding another client\'s job; 0 server errors (a 503 with Retry-After, the pool shedding load, is counted apart)',
      measured: `${leaks} leaks in ${served} bodies served of ${requests} requests; ${failures.length} server errors; ${shed} shed (503 + Retry-After)`,
      holds: leaks === 0 && failures.length === 0,
    });
    expect(served).toBeGreaterThan(100);
    expect(failures).toEqual([]);
    expect(leaks).toBe(0);
  }, 120_000);

  it('13 · hostile bodies and ids: 4xx, nothing changed, nothing reaches Redis', async () => {
    const db = databaseUrlOf(h);
    const [id] = await insertJobs(db, 'acme', 1, 'target job');
    const deep = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const bodies: unknown[] = [
      'x'.repeat(2 * 1024 * 1024), deep(10_000), '{"scenesCompleted": 1', '[1,2,3]', 'null', '"str"',
      { scenesCompleted: '5' }, { scenesCompleted: -1 }, { scenesCompleted: 1.5 }, { scenesCompleted: 2 ** 31 }, { status: 'done' },
      { status: ['queued'] }, { currentStage: { toString: 'x' } }, { currentStage: 'x'.repeat(201) }, {}, { unknown: 1 },
      '{"__proto__": {"polluted": "yes"}, "scenesCompleted": 1}', '{"constructor": {"prototype": {"polluted": "yes"}}}',
      { scenesCompleted: 1, __proto__x: 1 }, '{"scenesCompleted": 1, "scenesCompleted": "dup"}',
    ];
    const ids = ['0', '-1', '1e3', '0x10', '01', ' 1', '9007199254740993', '99999999999999999999', '__proto__', 'constructor', '%00', '1;DROP TABLE jobs', '%2A', '*'];
    const before = await sql(db, 'SELECT * FROM jobs ORDER BY id');
    const keysBefore = await keys();
    const watching = await watchDataCommands();
    const answers: Array<{ what: string; answer: HttpAnswer }> = [];
    for (const body of bodies) {
      answers.push({ what: `PATCH body ${JSON.stringify(body).slice(0, 40)}`, answer: await send('PATCH', `/api/v2/jobs/${id}/progress`, auth('admin'), body) });
      // `{}` is a valid create (every field optional).
      if (typeof body === 'object' && body !== null && Object.keys(body).length === 0) continue;
      answers.push({ what: `POST body ${JSON.stringify(body).slice(0, 40)}`, answer: await send('POST', '/api/v2/jobs', auth('acme'), body) });
    }
    for (const bad of ids) {
      const path = encodeURI(bad).replace(/%25/g, '%');
      answers.push({ what: `GET id ${bad}`, answer: await send('GET', `/api/v2/jobs/${path}`, auth('acme')) });
      answers.push({ what: `PATCH id ${bad}`, answer: await send('PATCH', `/api/v2/jobs/${path}/progress`, auth('admin'), { scenesCompleted: 1 }) });
    }
    const after = await sql(db, 'SELECT * FROM jobs ORDER BY id');
    const dataCommands = await watching.stop();
    const keysAfter = await keys();
    // `POST {}` and `POST {"unknown":1}`-like bodies that are valid would create a job: none of these is valid.
    const not4xx = answers.filter(({ answer }) => answer.status < 400 || answer.status >= 500);
    const polluted = ({} as Record<string, unknown>).polluted !== undefined || Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted');

    report.record({
      item: '13', test: 'hostile bodies and ids', fault: `${answers.length} requests: 2 MB body, 10 000-deep JSON, truncated JSON, wrong types, overflow, __proto__/constructor keys, duplicate keys, odd ids`,
      asserted: 'every answer 4xx; rows unchanged; 0 Redis commands on data keys; 0 new keys; Object.prototype clean',
      measured: `${answers.length - not4xx.length}/${answers.length} 4xx; rows unchanged ${JSON.stringify(after) === JSON.stringify(before)}; ${dataCommands.length} Redis commands on data keys; ${keysAfter.size - keysBefore.size} new keys; polluted ${polluted}`,
      holds: not4xx.length === 0 && JSON.stringify(after) === JSON.stringify(before) && dataCommands.length === 0 && !polluted,
    });
    expect(not4xx.map(({ what, answer }) => `${what} → ${answer.status}`)).toEqual([]);
    expect(after).toEqual(before);
    expect(dataCommands).toEqual([]);
    expect([...keysAfter].filter((k) => !keysBefore.has(k))).toEqual([]);
    expect(polluted).toBe(false);
  }, 60_000);

  it('14 · corrupt entries written straight into Redis: misses with correct data, no 5xx, prototype untouched', async () => {
    const db = databaseUrlOf(h);
    const garbage: Array<[string, string | Buffer]> = [
      ['garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7c, 0x63, 0x31])],
      ['truncated JSON', 'c2|V|99|1|99999999999999|EPOCH||{"id":1,"clientId":"acme","tit'],
      ['wrong format version', 'c9|V|99|1|99999999999999||{"id":1}'],
      ['__proto__ payload', 'c2|V|99|1|99999999999999|EPOCH||{"__proto__":{"polluted":"yes"},"id":ID,"clientId":"acme","title":"corrupt __proto__ payload"}'],
      ['foreign job body', 'c2|V|99|1|99999999999999|EPOCH||{"id":424242,"clientId":"beta","title":"not yours","version":99}'],
      ['empty string', ''],
      ['not a string (hash)', 'HASH'],
      ['huge version header', 'c2|V|999999999999999999999999|1|99999999999999|EPOCH||{"id":ID,"clientId":"acme","title":"corrupt huge version header"}'],
    ];
    // A second instance on the same prefix: its L1 is empty, so it reads exactly what is in Redis.
    const reader = await startListeningApp({ redisUrl: redis.url, database: { url: db }, env: { CACHE_PREFIX: PREFIX } });
    // Both instances subscribed, holding their lease and hearing each other: fills are cached from here on.
    const settled = await until(async () => (await Promise.all([h, reader].map(statsOf)))
      .every((s) => s.redisAvailable && s.bus.state === 'live' && s.bus.peers === 1), 15_000);
    if (!settled) console.log(`14: instances not settled: ${JSON.stringify(await Promise.all([h, reader].map(statsOf)))}`);
    let errors5xx = 0;
    let wrong = 0;
    const outcomes: string[] = [];
    try {
      for (const [what, value] of garbage) {
        const [id] = await insertJobs(db, 'acme', 1, `corrupt ${what}`);
        const keysBefore = await keys();
        // The poll's fill is the key to corrupt. A fill is not cached while the cache cannot be trusted (an
        // instance not heard within the lease, e.g. on a starved machine): poll again until it is.
        let written: string[] = [];
        // Up to the app's write window (30 s) and a lease: an instance an earlier test stopped uncleanly is
        // distrusted until the others expire it.
        for (const until = Date.now() + 32_000; Date.now() < until && written.length === 0;) {
          expect((await send('GET', `/api/v2/jobs/${id}`, auth('acme'))).status).toBe(200);
          written = [...(await keys())].filter((k) => !keysBefore.has(k) && !k.includes('!'));
          if (written.length === 0) await sleep(100);
        }
        // Planted in the keyspace epoch the instances read in, so the entry's body is what gets decoded.
        const epoch = (await raw.hget(`${PREFIX}!coord`, 'epoch')) ?? '';
        for (const key of written) {
          if (value === 'HASH') await raw.multi().del(key).hset(key, 'f', 'v').exec();
          else await raw.set(key, typeof value === 'string' ? value.replace('ID', String(id)).replace('EPOCH', epoch) : value, 'EX', 60);
        }
        const answer = await reader.client.send('GET', `/api/v2/jobs/${id}`, { headers: auth('acme') });
        if (answer.status >= 500) errors5xx += 1;
        const body = answer.status === 200 ? (JSON.parse(answer.body) as { id: number; clientId: string; title: string }) : undefined;
        // A well-formed entry holding another client's job cannot be told from a real one by the cache: the
        // app's ownership check must turn it into a 404, never a leak.
        const correct = what === 'foreign job body'
          ? answer.status === 404 || (body?.id === id && body.clientId === 'acme')
          : body?.id === id && body.clientId === 'acme' && body.title.startsWith(`corrupt ${what}`);
        if (!correct) wrong += 1;
        outcomes.push(`${what}: ${answer.status}${correct ? '' : ' WRONG'} (${written.length} keys)`);
        if (!correct) continue;
        if (written.length === 0) {
          const stats = await send('GET', '/api/v2/cache/stats', auth('admin'));
          console.log(`14: no fill cached for "${what}" after ${outcomes.join('; ')}; stats ${stats.body}\n${h.logs.lines.filter((l) => /cache/i.test(l)).slice(-40).join('\n')}`);
        }
        expect(written.length).toBeGreaterThan(0);
      }
    } finally {
      await reader.close();
    }
    const polluted = ({} as Record<string, unknown>).polluted !== undefined;
    report.record({
      item: '14', test: 'corrupt entries in Redis', fault: `${garbage.length} kinds of corrupt entry planted under the job's key: ${garbage.map(([w]) => w).join(', ')}`,
      asserted: '0 5xx; every poll returns the right job from PostgreSQL (a well-formed foreign body: 404, never a leak); Object.prototype untouched',
      measured: `${errors5xx} 5xx, ${wrong} wrong bodies of ${garbage.length}; polluted ${polluted}`,
      holds: errors5xx === 0 && wrong === 0 && !polluted,
    });
    expect(outcomes.filter((o) => o.includes('WRONG'))).toEqual([]);
    expect(errors5xx).toBe(0);
    expect(polluted).toBe(false);
  }, 90_000);
});
