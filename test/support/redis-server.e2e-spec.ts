import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { TestRedisServer } from './redis-server.js';

describe('TestRedisServer', () => {
  let server: TestRedisServer;
  afterAll(async () => server?.stop());

  it('starts, answers, dies on kill and comes back empty on restart', async () => {
    server = await TestRedisServer.start();
    const client = new Redis({ port: server.port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 50 });
    await client.connect();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    await server.kill();
    expect(server.running).toBe(false);
    await expect(client.get('k')).rejects.toThrow();
    await server.restart();
    await new Promise((r) => setTimeout(r, 200));
    expect(await client.get('k')).toBeNull();
    client.disconnect();
  });
});
