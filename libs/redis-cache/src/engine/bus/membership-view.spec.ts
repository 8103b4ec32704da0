import { describe, expect, it } from '@jest/globals';
import { judgeView, mergeList, parseHeartbeatReply, type MembershipView } from './membership-view.js';
import { CLOCK_RATE_MARGIN, RedisClock } from './redis-clock.js';

const LEASE = 1_000;
const WINDOW = 10_000;

function view(now: number, members: Record<string, string>): MembershipView {
  const fields = Object.entries(members).flatMap(([id, value]) => [`m:${id}`, value]);
  return parseHeartbeatReply([now, 'E1', 0, ['epoch', 'E1', 'run', 'abc', ...fields]])!;
}

describe('RedisClock', () => {
  // Redis read its clock (10 000) somewhere between the local send (100) and receipt (140).
  const clock = new RedisClock(10_000, 100, 140);

  it('bounds are conservative in the direction asked, widened by the rate margin', () => {
    expect(clock.localLatest(11_000)).toBeCloseTo(140 + 1_000 + 1_000 * CLOCK_RATE_MARGIN);
    expect(clock.localEarliest(11_000)).toBeCloseTo(100 + 1_000 - 1_000 * CLOCK_RATE_MARGIN);
    expect(clock.redisEarliest(1_140)).toBeCloseTo(10_000 + 1_000 - 1_000 * CLOCK_RATE_MARGIN);
    // The earliest moment is never after the latest one.
    for (const t of [9_000, 10_000, 10_500, 40_000]) expect(clock.localEarliest(t)).toBeLessThan(clock.localLatest(t));
  });
});

describe('membership view', () => {
  it('parses members, departures and expiries; a late heartbeat is no view', () => {
    const parsed = view(5_000, { a: '4900', b: 'l4000', c: 'x3000' });
    expect(parsed.epoch).toBe('E1');
    expect([...parsed.members]).toEqual([
      ['a', { seen: 4_900, state: 'member' }], ['b', { state: 'left' }], ['c', { state: 'expired' }],
    ]);
    expect(parseHeartbeatReply([0])).toBeUndefined();
  });

  it('trusts until the earliest moment a live member could have gone silent', () => {
    const clock = new RedisClock(5_000, 200, 220);
    const verdict = judgeView(view(5_000, { self: '5000', a: '4800', b: '4950' }), clock, 'self', LEASE, WINDOW);
    expect(verdict.live.sort()).toEqual(['a', 'b']);
    expect(verdict.silent).toEqual([]);
    // a was heard at 4 800: it may go silent from 5 800 (Redis) = local 200 + 800 at the earliest.
    expect(verdict.trustedUntil).toBeCloseTo(clock.localEarliest(4_800 + LEASE));
    expect(verdict.trustedUntil).toBeLessThan(200 + 800 + 1);
  });

  it('a member silent for more than a lease makes the cache untrusted; past its window it is to be expired', () => {
    const clock = new RedisClock(20_000, 0, 5);
    const silent = judgeView(view(20_000, { self: '20000', a: '18000' }), clock, 'self', LEASE, WINDOW);
    expect(silent).toMatchObject({ trustedUntil: 0, silent: ['a'], expirable: [] });
    const gone = judgeView(view(20_000, { self: '20000', a: '9000' }), clock, 'self', LEASE, WINDOW);
    expect(gone).toMatchObject({ trustedUntil: 0, silent: [], expirable: ['a'] });
    const departed = judgeView(view(20_000, { self: '20000', a: 'l18000' }), clock, 'self', LEASE, WINDOW);
    expect(departed.trustedUntil).toBeGreaterThan(0);
  });

  it('the merge list carries every known member but this one, with when it was last heard', () => {
    expect(mergeList(view(5_000, { self: '5000', a: '4800', b: 'l1', c: '100' }), 'self')).toEqual([['a', 4_800], ['c', 100]]);
    expect(mergeList(undefined, 'self')).toEqual([]);
  });
});
