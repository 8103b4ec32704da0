import { describe, expect, it } from '@jest/globals';
import { CacheConfigError } from './cache.errors.js';
import { reconnectDelay, redisConnectionSettings, scrubSecrets } from './redis-connection.js';

const timeouts = { commandTimeoutMs: 200, connectTimeoutMs: 2000 };

describe('redis connection settings', () => {
  it('parses user, password, db and TLS, with fail-fast options', () => {
    const { options, secrets, description } = redisConnectionSettings('rediss://app:p%40ss@cache.example:6380/3', timeouts);
    expect(options).toMatchObject({
      host: 'cache.example', port: 6380, db: 3, username: 'app', password: 'p@ss', lazyConnect: true,
      enableOfflineQueue: false, maxRetriesPerRequest: 1, autoResendUnfulfilledCommands: false,
      enableAutoPipelining: true, commandTimeout: 200,
    });
    expect(options.tls).toBeDefined();
    expect(secrets).toContain('p@ss');
    expect(description).not.toContain('p@ss');
  });

  it('rejects bad URLs without echoing them', () => {
    expect(() => redisConnectionSettings('http://u:secret@x', timeouts)).toThrow(CacheConfigError);
    try {
      redisConnectionSettings('redis://u:secret@x/abc', timeouts);
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
    expect.assertions(2);
  });

  it('backs off 50 ms doubling up to 2 s', () => {
    expect([1, 2, 3, 6, 7, 50].map(reconnectDelay)).toEqual([50, 100, 200, 1600, 2000, 2000]);
  });

  it('scrubs secrets, URL credentials and AUTH arguments', () => {
    expect(scrubSecrets('failed: hunter2', ['hunter2'])).toBe('failed: ***');
    expect(scrubSecrets('at redis://u:pw@h:1')).toBe('at redis://***@h:1');
    expect(scrubSecrets('ERR on AUTH default hunter3')).not.toContain('hunter3');
  });
});

describe('redis URL topologies', () => {
  it('sentinel: hosts, master name, db, primary vs sentinel credentials, bounded sentinel retries', () => {
    const s = redisConnectionSettings('redis+sentinel://app:pw@10.0.0.1,10.0.0.2:26380/mymaster/2?sentinelPassword=sp%21', timeouts);
    expect(s.kind).toBe('sentinel');
    expect(s.options).toMatchObject({
      sentinels: [{ host: '10.0.0.1', port: 26379 }, { host: '10.0.0.2', port: 26380 }], name: 'mymaster', db: 2,
      username: 'app', password: 'pw', sentinelPassword: 'sp!', enableOfflineQueue: false, sentinelCommandTimeout: 200,
    });
    expect(s.options.sentinelRetryStrategy?.(4)).toBeNull();
    expect(s.options.sentinelRetryStrategy?.(1)).toBe(50);
    expect(s.secrets).toEqual(expect.arrayContaining(['pw', 'sp!', 'sp%21']));
    expect(s.description).not.toMatch(/pw|sp!/);
  });

  it('cluster: seeds and fail-fast cluster options; db other than 0 rejected', () => {
    const s = redisConnectionSettings('redis+cluster://u:p@h1:7000,h2:7001,[::1]:7002', timeouts);
    expect(s.kind).toBe('cluster');
    expect(s.cluster?.nodes).toEqual([{ host: 'h1', port: 7000 }, { host: 'h2', port: 7001 }, { host: '::1', port: 7002 }]);
    expect(s.cluster?.options).toMatchObject({
      enableOfflineQueue: false, scaleReads: 'master', enableAutoPipelining: true, retryDelayOnFailover: 0, retryDelayOnClusterDown: 0,
    });
    expect(s.cluster?.options.redisOptions).toMatchObject({ username: 'u', password: 'p', commandTimeout: 200, autoResendUnfulfilledCommands: false });
    expect(s.cluster?.options.clusterRetryStrategy?.(50)).toBe(2000);
    expect(() => redisConnectionSettings('redis+cluster://h1:7000/3', timeouts)).toThrow(CacheConfigError);
  });

  it('rejects malformed forms without echoing them', () => {
    for (const url of ['redis://h1,h2', 'redis+sentinel://s:1', 'redis+sentinel://s:1/m?password=secret', 'redis+cluster://u:secret@h:99999']) {
      expect(() => redisConnectionSettings(url, timeouts)).toThrow(CacheConfigError);
      try { redisConnectionSettings(url, timeouts); } catch (error) { expect((error as Error).message).not.toContain('secret'); }
    }
  });
});
