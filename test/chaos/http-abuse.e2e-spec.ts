import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { ChaosReport, variant } from '../support/chaos-report.js';
import type { HttpAnswer } from '../support/http-load.js';
import { databaseUrlOf, insertJobs, sql } from '../support/jobs-db.js';
import { auth, type ListeningApp, startListeningApp } from '../support/listening-app.js';
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
 * Commands Redis has executed so far, except the INFO we use to read the figure and the invalidation bus's
 * periodic heartbeats (PUBLISH/SPUBLISH every lease/4, whatever the requests do).
 */
const BACKGROUND_COMMANDS = new Set(['info', 'publish', 'spublish']);
async function commandsExecuted(): Promise<number> {
  const info = await raw.info('commandstats');
  return [...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].filter(([, name]) => !BACKGROUND_COMMANDS.has(name)).reduce((n, [, , calls]) => n + Number(calls), 0);
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
    for (let r = 0; r < rounds; r++) {
      const batch: Array<Promise<void>> = [];
      for (const who of ['acme', 'beta'] as const) {
        for (const header of tokenForms(who)) {
          for (const id of all) {
            for (const url of urls(id)) {
              batch.push(send('GET', url, { authorization: header }).then((answer) => {
                requests += 1;
                if (answer.status >= 500 || answer.status === 0) failures.push(`${answer.status} ${url}`);
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
      asserted: '0 bodies holding another client\'s job; 0 server errors',
      measured: `${leaks} leaks in ${served} bodies served of ${requests} requests; ${failures.length} server errors`,
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
    const commandsBefore = await commandsExecuted();
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
    const commandsAfter = await commandsExecuted();
    const keysAfter = await keys();
    // `POST {}` and `POST {"unknown":1}`-like bodies that are valid would create a job: none of these is valid.
    const not4xx = answers.filter(({ answer }) => answer.status < 400 || answer.status >= 500);
    const polluted = ({} as Record<string, unknown>).polluted !== undefined || Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted');

    report.record({
      item: '13', test: 'hostile bodies and ids', fault: `${answers.length} requests: 2 MB body, 10 000-deep JSON, truncated JSON, wrong types, overflow, __proto__/constructor keys, duplicate keys, odd ids`,
      asserted: 'every answer 4xx; rows unchanged; 0 Redis commands; 0 new keys; Object.prototype clean',
      measured: `${answers.length - not4xx.length}/${answers.length} 4xx; rows unchanged ${JSON.stringify(after) === JSON.stringify(before)}; ${commandsAfter - commandsBefore} Redis commands; ${keysAfter.size - keysBefore.size} new keys; polluted ${polluted}`,
      holds: not4xx.length === 0 && JSON.stringify(after) === JSON.stringify(before) && commandsAfter === commandsBefore && !polluted,
    });
    expect(not4xx.map(({ what, answer }) => `${what} → ${answer.status}`)).toEqual([]);
    expect(after).toEqual(before);
    expect(commandsAfter - commandsBefore).toBe(0);
    expect([...keysAfter].filter((k) => !keysBefore.has(k))).toEqual([]);
    expect(polluted).toBe(false);
  }, 60_000);

  it('14 · corrupt entries written straight into Redis: misses with correct data, no 5xx, prototype untouched', async () => {
    const db = databaseUrlOf(h);
    const garbage: Array<[string, string | Buffer]> = [
      ['garbage bytes', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7c, 0x63, 0x31])],
      ['truncated JSON', 'c1|V|99|1|99999999999999||{"id":1,"clientId":"acme","tit'],
      ['wrong format version', 'c9|V|99|1|99999999999999||{"id":1}'],
      ['__proto__ payload', 'c1|V|99|1|99999999999999||{"__proto__":{"polluted":"yes"},"id":ID,"clientId":"acme","title":"corrupt __proto__ payload"}'],
      ['foreign job body', 'c1|V|99|1|99999999999999||{"id":424242,"clientId":"beta","title":"not yours","version":99}'],
      ['empty string', ''],
      ['not a string (hash)', 'HASH'],
      ['huge version header', 'c1|V|999999999999999999999999|1|99999999999999||{}'],
    ];
    // A second instance on the same prefix: its L1 is empty, so it reads exactly what is in Redis.
    const reader = await startListeningApp({ redisUrl: redis.url, database: { url: db }, env: { CACHE_PREFIX: PREFIX } });
    let errors5xx = 0;
    let wrong = 0;
    const outcomes: string[] = [];
    try {
      for (const [what, value] of garbage) {
        const [id] = await insertJobs(db, 'acme', 1, `corrupt ${what}`);
        const keysBefore = await keys();
        expect((await send('GET', `/api/v2/jobs/${id}`, auth('acme'))).status).toBe(200);
        const written = [...(await keys())].filter((k) => !keysBefore.has(k) && !k.includes('!tag:'));
        for (const key of written) {
          if (value === 'HASH') await raw.multi().del(key).hset(key, 'f', 'v').exec();
          else await raw.set(key, typeof value === 'string' ? value.replace('ID', String(id)) : value, 'EX', 60);
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
  }, 60_000);
});
