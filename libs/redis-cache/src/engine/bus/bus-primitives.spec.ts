import { describe, expect, it } from '@jest/globals';
import { SingleFlight } from '../single-flight.js';
import { AckWaiter } from './ack-waiter.js';
import { AnnouncementBatcher, mergeInvalidations } from './announcement-batcher.js';
import { decodeBusMessage, encodeBusMessage, type BusInvalidation, type BusMessage } from './bus-message.js';
import { InvalidationFence } from './invalidation-fence.js';

describe('bus message', () => {
  it('round-trips every kind', () => {
    const messages: BusMessage[] = [
      { op: 'keys', keys: ['p:a', 'p:b'], from: 'i1', id: '1', ack: true },
      { op: 'prefix', prefix: 'p:job:', from: 'i1', id: '2', ack: false },
      { op: 'tags', tags: ['client:1'], from: 'i1', id: '3', ack: true },
      { op: 'clear', from: 'i1', id: '4', ack: false },
      { op: 'many', parts: [{ op: 'keys', keys: ['p:a'] }, { op: 'tags', tags: ['t'] }, { op: 'prefix', prefix: 'p:x' }], from: 'i1', id: '6', ack: true },
      { op: 'hb', from: 'i1', id: 'hb5', serving: true },
      { op: 'hb', from: 'i1', id: 'hb6', serving: false },
      { op: 'bye', from: 'i1' },
      { op: 'ack', from: 'i2', id: '1' },
    ];
    for (const message of messages) {
      expect(decodeBusMessage(encodeBusMessage(message))).toEqual(message);
    }
  });

  it.each(['', 'null', '[]', '{"op":"keys","from":"x","id":"1","keys":"a"}', '{"op":"drop","from":"x","id":"1"}', '{"op":"clear","id":"1"}', '{"op":"hb","from":"x"}',
    '{"op":"many","from":"x","id":"1","parts":[]}', '{"op":"many","from":"x","id":"1","parts":[{"op":"many","parts":[]}]}',
    '{"op":"many","from":"x","id":"1","parts":[{"op":"keys","keys":[1]}]}'])(
    'ignores malformed %p', (raw) => {
      expect(decodeBusMessage(raw)).toBeUndefined();
    });
});

describe('invalidation fence', () => {
  it('reports an invalidation of the key, or of everything, after the stamp only', () => {
    const fence = new InvalidationFence();
    const stamp = fence.stamp();
    expect(fence.changedSince('k1', stamp)).toBe(false);
    fence.mark('k1');
    expect(fence.changedSince('k1', stamp)).toBe(true);
    expect(fence.changedSince('k1', fence.stamp())).toBe(false);
    const later = fence.stamp();
    fence.markAll();
    expect(fence.changedSince('anything', later)).toBe(true);
  });
});

describe('ack waiter', () => {
  const context = (receivers: number, members: Map<string, number>, clock: { t: number }, maxWaitMs = 1000) => ({
    receivers, members, windowMs: 100, maxWaitMs, now: () => clock.t, countedFrom: Number.NEGATIVE_INFINITY,
  });

  it('confirms once the receiver count and every known member acked', async () => {
    const waiter = new AckWaiter();
    waiter.ack('self');
    const clock = { t: 1000 };
    const settled = waiter.settle(context(3, new Map([['b', 990], ['c', 990]]), clock));
    waiter.ack('b');
    waiter.ack('c');
    await expect(settled).resolves.toBe('confirmed');
  });

  it('waits for a known member even when Redis counted fewer receivers, up to the lease', async () => {
    const waiter = new AckWaiter();
    waiter.ack('self');
    const started = Date.now();
    await expect(waiter.settle(context(1, new Map([['gone-quiet', 1000]]), { t: 1000 }, 60))).resolves.toBe('lease-expired');
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('counted rule: acks alone do not confirm before countedFrom (a young subscription has not heard every peer)', async () => {
    const waiter = new AckWaiter();
    waiter.ack('self');
    const now = () => performance.now();
    const started = now();
    const settled = waiter.settle({ receivers: 1, members: new Map(), windowMs: 100, maxWaitMs: 1000, now, countedFrom: started + 60 });
    await expect(settled).resolves.toBe('lease-expired');
    const waited = now() - started;
    expect(waited).toBeGreaterThanOrEqual(55);
    expect(waited).toBeLessThan(500);
  });

  it('stops waiting for a member that said goodbye', async () => {
    const waiter = new AckWaiter();
    const clock = { t: 1000 };
    const settled = waiter.settle(context(2, new Map([['a', 990], ['b', 990]]), clock));
    waiter.ack('a');
    waiter.forget('b');
    await expect(settled).resolves.toBe('confirmed');
  });

  it('heard rule: a receiver Redis counts but that was not heard within the window is not waited for', async () => {
    const waiter = new AckWaiter();
    const clock = { t: 10_000 };
    const members = new Map([['live', 9_990], ['black-holed', 9_000]]);
    const settled = waiter.settle(context(3, members, clock));
    waiter.ack('live');
    waiter.selfReceived('self', 5_000, members);
    await expect(settled).resolves.toBe('confirmed');
  });

  it('heard rule: a peer heard recently is waited for until it has been silent for the window', async () => {
    const waiter = new AckWaiter();
    const now = () => performance.now();
    const started = now();
    const members = new Map([['just-went-silent', started - 40]]);
    const settled = waiter.settle({ receivers: 2, members, windowMs: 100, maxWaitMs: 1000, now, countedFrom: Number.NEGATIVE_INFINITY });
    waiter.selfReceived('self', started - 5_000, members);
    await expect(settled).resolves.toBe('lease-expired');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(55); // 100 ms window − 40 ms already silent
    expect(waited).toBeLessThan(500); // not the full max wait
  });

  it('heard rule: not before the own subscription is a window old (older leases may still run)', async () => {
    const waiter = new AckWaiter();
    const members = new Map<string, number>();
    const now = () => performance.now();
    const started = now();
    const settled = waiter.settle({ receivers: 2, members, windowMs: 80, maxWaitMs: 1000, now, countedFrom: Number.NEGATIVE_INFINITY });
    waiter.selfReceived('self', started - 20, members);
    await expect(settled).resolves.toBe('lease-expired');
    expect(now() - started).toBeGreaterThanOrEqual(55);
  });

  it('heard rule: a peer first heard after the own receipt is not waited for', async () => {
    const waiter = new AckWaiter();
    const clock = { t: 10_000 };
    const members = new Map<string, number>();
    const settled = waiter.settle(context(3, members, clock));
    waiter.selfReceived('self', 1_000, members);
    members.set('joined-later', 10_000);
    await expect(settled).resolves.toBe('confirmed');
  });
});

describe('announcement merging and batching', () => {
  it('merges keys and tags, dedupes prefixes, and a clear covers everything', () => {
    expect(mergeInvalidations([{ op: 'keys', keys: ['a'] }, { op: 'keys', keys: ['b', 'a'] }])).toEqual({ op: 'keys', keys: ['a', 'b'] });
    expect(mergeInvalidations([{ op: 'keys', keys: ['a'] }, { op: 'tags', tags: ['t'] }, { op: 'prefix', prefix: 'p' }, { op: 'prefix', prefix: 'p' }]))
      .toEqual({ op: 'many', parts: [{ op: 'keys', keys: ['a'] }, { op: 'tags', tags: ['t'] }, { op: 'prefix', prefix: 'p' }] });
    expect(mergeInvalidations([{ op: 'keys', keys: ['a'] }, { op: 'clear' }])).toEqual({ op: 'clear' });
  });

  it('one broadcast per turn and policy; every caller gets its outcome; a full batch leaves at once', async () => {
    const sent: Array<{ message: BusInvalidation; strict: boolean }> = [];
    const batcher = new AnnouncementBatcher(async (message, strict) => {
      sent.push({ message, strict });
      return strict ? 'confirmed' : 'sent';
    }, 3);
    const outcomes = await Promise.all([
      batcher.announce({ op: 'keys', keys: ['a'] }, true),
      batcher.announce({ op: 'tags', tags: ['t'] }, true),
      batcher.announce({ op: 'keys', keys: ['e'] }, false),
      batcher.announce({ op: 'keys', keys: ['b', 'c'] }, true), // 1 + 1 + 2 > 3: the first batch leaves
    ]);
    expect(outcomes).toEqual(['confirmed', 'confirmed', 'sent', 'confirmed']);
    expect(sent).toEqual([
      { message: { op: 'many', parts: [{ op: 'keys', keys: ['a'] }, { op: 'tags', tags: ['t'] }] }, strict: true },
      { message: { op: 'keys', keys: ['e'] }, strict: false },
      { message: { op: 'keys', keys: ['b', 'c'] }, strict: true },
    ]);
    await batcher.announce({ op: 'clear' }, true);
    expect(sent).toHaveLength(4);
  });

  it('passes a failed broadcast to every caller of the batch', async () => {
    const batcher = new AnnouncementBatcher(() => Promise.reject(new Error('boom')));
    const results = await Promise.allSettled([batcher.announce({ op: 'clear' }, true), batcher.announce({ op: 'keys', keys: ['k'] }, true)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('single flight forgetting', () => {
  it('a caller after forget() starts a new run; the old run still settles for its callers', async () => {
    const flights = new SingleFlight();
    let release!: (v: string) => void;
    const first = flights.run('k', () => new Promise<string>((resolve) => { release = resolve; }), undefined, ['t']);
    flights.forgetTags(['t']);
    const second = flights.run('k', async () => 'new');
    release('old');
    await expect(first).resolves.toBe('old');
    await expect(second).resolves.toBe('new');
    expect(flights.size).toBe(0);
  });
});
