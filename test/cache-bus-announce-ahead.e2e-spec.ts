import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CacheEngine } from '../libs/redis-cache/src/engine/cache-engine.js';
import { live } from './support/bus-engines.js';
import { AfterAckTally, readAfterAck } from './support/read-after-ack.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { sleep } from './support/wait.js';

/**
 * A plain `set` (no version; with tags, once their generations were read) and a plain `delete` are announced on
 * the bus as soon as their `SET` / `UNLINK` is on the data connection, not after Redis answered it
 * (`Coherence.announceAhead`): Redis runs the command before the PUBLISH sent after it on that connection, so
 * the two round trips overlap and a peer that drops its copy already reads the new value.
 * The writer reaches the shared Redis through a proxy that delays every chunk; its peer is direct.
 */
const REDIS_URL = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
/** One-way delay of the writer's connections (data and bus): a round trip through the proxy is twice this. */
const DELAY_MS = 100;
const LEASE_MS = 3000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function writerAndPeer(): Promise<{ writer: CacheEngine; peer: CacheEngine; proxy: TcpProxy }> {
  const proxy = await TcpProxy.start(Number(REDIS_URL.port || 6379));
  cleanups.push(() => proxy.stop());
  const prefix = `test:announce-ahead:${randomUUID()}:`;
  const make = (redisUrl: string) => {
    const engine = new CacheEngine({ redisUrl, keyPrefix: prefix, commandTimeoutMs: 2000, connectTimeoutMs: 2000, bus: { leaseMs: LEASE_MS } });
    cleanups.push(() => engine.close());
    return engine;
  };
  const writer = make(proxy.url);
  const peer = make(REDIS_URL.href);
  cleanups.push(() => peer.clear().then(() => undefined));
  await live(writer, peer);
  // While a subscription is younger than a lease, acks alone may not confirm a write (the bus' counted rule,
  // see ack-waiter.ts): the first writes could then wait out the lease. Measure once the writer's is older.
  await sleep(LEASE_MS * 1.01 + 100);
  return { writer, peer, proxy };
}

describe('announcing a plain set or delete ahead of its answer', () => {
  it('a plain set or delete waits about one round trip through the delay, a versioned set (announced after its answer) two', async () => {
    const { writer, peer, proxy } = await writerAndPeer();
    proxy.delayMs = DELAY_MS;
    const key = writer.key('job', 1);
    const plainMs: number[] = [];
    const versionedMs: number[] = [];
    const deleteMs: number[] = [];
    for (let round = 1; round <= 7; round += 1) {
      await peer.get(key); // the peer holds the key in L1: the writer must wait for its ack
      let started = performance.now();
      expect(await writer.set(key, { round, plain: true })).toBe(true);
      plainMs.push(performance.now() - started);
      expect(await peer.get(key)).toEqual({ round, plain: true });

      started = performance.now();
      expect(await writer.set(key, { round }, { version: round })).toBe(true);
      versionedMs.push(performance.now() - started);
      expect(await peer.get(key)).toEqual({ round });

      // A plain delete (an UNLINK) is announced as it leaves too.
      started = performance.now();
      await writer.delete(key);
      deleteMs.push(performance.now() - started);
      expect(await peer.get(key)).toBeUndefined();
    }
    const list = (samples: number[]) => samples.map((ms) => ms.toFixed(0)).join(', ');
    console.log(`announce ahead: plain sets ${list(plainMs)} ms, versioned sets ${list(versionedMs)} ms, deletes ${list(deleteMs)} ms, one-way delay ${DELAY_MS} ms`);
    // The fastest of each: a write issued while another pipeline of the writer's is in flight (a heartbeat)
    // leaves only once that one's replies are in (ioredis keeps one in flight), one round trip more.
    // Versioned: the script's round trip, then the PUBLISH and its acks' — at least four one-way delays.
    expect(Math.min(...versionedMs)).toBeGreaterThanOrEqual(4 * DELAY_MS);
    // Plain: SET and PUBLISH leave together; the answer and the ack come back together — two delays, plus
    // scheduling. Sent one after the other, it would take four, like the versioned write.
    expect(Math.min(...plainMs)).toBeLessThan(3 * DELAY_MS);
    expect(Math.min(...deleteMs)).toBeLessThan(3 * DELAY_MS);
    expect(writer.getStats().busAckTimeouts).toBe(0);
    proxy.delayMs = 0; // closing need not wait for it
  });

  it('a peer reading in a loop through plain sets, untagged and tagged, and deletes never reads an acknowledged value older', async () => {
    const { writer, peer, proxy } = await writerAndPeer();
    proxy.delayMs = DELAY_MS / 4;
    const keys = [writer.key('job', 1), writer.key('job', 2)];
    let reading = true;
    let loopReads = 0;
    // Reads from the moment the peer drops its copy (the invalidation) to the moment the writer's set
    // resolves: had the PUBLISH run before the SET, one of them would put the old value back into L1.
    const loops = keys.map(async (key) => {
      while (reading) {
        await peer.get(key);
        loopReads += 1;
        // An L1 hit settles in microtasks alone: yield a turn, or the loop would starve every socket.
        await new Promise(setImmediate);
      }
    });
    const tally = new AfterAckTally();
    let keptAfterDelete = 0;
    try {
      for (let round = 1; round <= 40; round += 1) {
        const key = keys[round % 2];
        // Tagged: the tag generations are read first, and the SET leaves only after that round trip.
        const tags = round % 2 === 0 ? ['jobs'] : undefined;
        expect(await writer.set(key, { round }, { tags })).toBe(true);
        const current = round;
        tally.add(await readAfterAck(peer, () => peer.getEntry<{ round: number }>(key), (seen) => seen.value?.round === current));
        if (round % 5 === 0) {
          await writer.delete(key);
          if ((await peer.get(key)) !== undefined) keptAfterDelete += 1;
        }
      }
    } finally {
      reading = false;
      await Promise.all(loops);
    }
    console.log(`announce ahead under reads: ${loopReads} loop reads; reads after a set's ack: ${tally.toString()}; ${keptAfterDelete} read a deleted value; peer l1Hits ${peer.getStats().l1Hits}`);
    expect(tally.broken).toBe(0);
    expect(keptAfterDelete).toBe(0);
    // The loop really was reading L1 between writes (so a value put back there would have been served).
    expect(peer.getStats().l1Hits).toBeGreaterThan(40);
    expect(writer.getStats().busAckTimeouts).toBe(0);
  });
});
