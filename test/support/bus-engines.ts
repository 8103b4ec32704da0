import { expect } from '@jest/globals';
import type { CacheEngine } from '../../libs/redis-cache/src/engine/cache-engine.js';
import { until } from './wait.js';

/** Connects `engines` and waits until each holds its bus lease and has heard every other one (writers then wait for all). */
export async function live(...engines: CacheEngine[]): Promise<void> {
  await Promise.all(engines.map((e) => e.connect()));
  const ready = await until(() => engines.every((e) => e.getStats().bus.state === 'live' && e.getStats().bus.peers === engines.length - 1), 3000);
  expect(ready).toBe(true);
}
