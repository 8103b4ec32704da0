import { describe, expect, it } from '@jest/globals';
import { checkHistory } from './history-checker.js';
import { History, type ReadRecord, versionOfEtag, type WriteRecord } from './history.js';

/**
 * Hand-made histories the checker must flag (and a few it must not), so that a checker bug cannot hide
 * staleness in the fault suite.
 */
const write = (w: Partial<WriteRecord> & Pick<WriteRecord, 'job' | 'kind' | 'start' | 'end' | 'status'>): WriteRecord => ({ instance: 'A', ...w });
const read = (r: Partial<ReadRecord> & Pick<ReadRecord, 'job' | 'start' | 'end' | 'status'>): ReadRecord => ({ instance: 'B', ...r });

function history(writes: WriteRecord[], reads: ReadRecord[]): History {
  const h = new History();
  writes.forEach((w) => h.write(w));
  reads.forEach((r) => h.read(r));
  return h;
}

/** Job 1 created (v1, acked at 10) and updated to v2 (acked at 100). */
const created = [
  write({ job: 1, kind: 'create', start: 0, end: 10, status: 201, version: 1 }),
  write({ job: 1, kind: 'update', start: 90, end: 100, status: 200, version: 2 }),
];

describe('checkHistory', () => {
  it('finds nothing in a coherent history', () => {
    const v = checkHistory(history(created, [
      read({ job: 1, start: 20, end: 25, status: 200, version: 1 }),
      read({ job: 1, start: 101, end: 102, status: 200, version: 2 }),
      read({ job: 1, start: 103, end: 104, status: 304, version: 2 }),
      read({ job: 'list', start: 105, end: 106, status: 200, items: [{ id: 1, version: 2 }] }),
    ]));
    expect(v).toMatchObject({ reads: 4, listReads: 1, stale: 0, deletedServed: 0, failedReads: 0, acked: 2, refused: 0, failedWrites: 0, problems: [] });
  });

  it('flags a read that starts after an acknowledged update and returns the older version, on any instance', () => {
    const v = checkHistory(history(created, [read({ instance: 'C', job: 1, start: 100.5, end: 101, status: 200, version: 1, xCache: 'HIT' })]));
    expect(v.stale).toBe(1);
    expect(v.maxStaleAfterAckMs).toBeCloseTo(0.5);
    expect(v.problems[0]).toMatch(/stale: C read job 1 .*v1 < acknowledged v2 \(X-Cache HIT\)/);
  });

  it('does not flag a read that overlapped the write or started at its very end', () => {
    const v = checkHistory(history(created, [
      read({ job: 1, start: 95, end: 120, status: 200, version: 1 }),
      read({ job: 1, start: 100, end: 101, status: 200, version: 1 }),
    ]));
    expect(v.stale).toBe(0);
  });

  it('flags a 304 whose ETag names an older version than one acknowledged', () => {
    const v = checkHistory(history(created, [read({ job: 1, start: 150, end: 151, status: 304, version: versionOfEtag('"v1-abc"') })]));
    expect(v.stale).toBe(1);
  });

  it('compares with the highest version acknowledged before the read, not the last one', () => {
    const writes = [...created, write({ job: 1, kind: 'update', start: 110, end: 120, status: 200, version: 3 })];
    const v = checkHistory(history(writes, [
      read({ job: 1, start: 121, end: 122, status: 200, version: 2 }),
      read({ job: 1, start: 115, end: 116, status: 200, version: 2 }),
    ]));
    expect(v.stale).toBe(1);
  });

  it('flags a job served after its delete was acknowledged, as the job or in a list', () => {
    const writes = [...created, write({ job: 1, kind: 'delete', start: 190, end: 200, status: 204 })];
    const v = checkHistory(history(writes, [
      read({ job: 1, start: 201, end: 202, status: 200, version: 2 }),
      read({ job: 'list', start: 203, end: 204, status: 200, items: [{ id: 1, version: 2 }] }),
      read({ job: 1, start: 195, end: 205, status: 200, version: 2 }),
      read({ job: 1, start: 206, end: 207, status: 404 }),
    ]));
    expect(v.deletedServed).toBe(2);
    expect(v.failedReads).toBe(0);
  });

  it('counts as failed: a network error, a 5xx, a 200 without a version, and a 404 for a live job', () => {
    const v = checkHistory(history(created, [
      read({ job: 1, start: 20, end: 30, status: 0, note: 'ECONNRESET' }),
      read({ job: 1, start: 20, end: 30, status: 503 }),
      read({ job: 1, start: 20, end: 30, status: 200 }),
      read({ job: 1, start: 20, end: 30, status: 404 }),
    ]));
    expect(v.failedReads).toBe(4);
  });

  it('accepts a 404 for an id never created, before the create was acknowledged, or once a delete may have applied', () => {
    const writes = [...created, write({ job: 1, kind: 'delete', start: 300, end: 400, status: 0 })];
    const v = checkHistory(history(writes, [
      read({ job: 999, start: 20, end: 30, status: 404 }),
      read({ job: 1, start: 5, end: 15, status: 404 }),
      read({ job: 1, start: 350, end: 360, status: 404 }),
      read({ job: 1, start: 290, end: 301, status: 404 }),
    ]));
    expect(v.failedReads).toBe(0);
    expect(v.failedWrites).toBe(1);
  });

  it('does not let a refused delete excuse a 404', () => {
    const writes = [...created, write({ job: 1, kind: 'delete', start: 300, end: 310, status: 503, retryAfter: '1', rowUnchanged: true })];
    const v = checkHistory(history(writes, [read({ job: 1, start: 305, end: 306, status: 404 })]));
    expect(v.failedReads).toBe(1);
  });

  it('excuses failures on an instance the test stopped, but still checks what such reads returned', () => {
    const v = checkHistory(history(created, [
      read({ job: 1, start: 150, end: 160, status: 0, excused: 'instance stopped' }),
      read({ job: 1, start: 150, end: 160, status: 200, version: 1, excused: 'instance stopped' }),
    ]));
    expect(v).toMatchObject({ failedReads: 0, excusedReads: 1, stale: 1 });
  });

  it('flags a list that lacks a job acknowledged before it, or shows an older version', () => {
    const writes = [...created, write({ job: 2, kind: 'create', start: 50, end: 60, status: 201, version: 1 })];
    const v = checkHistory(history(writes, [
      read({ job: 'list', start: 70, end: 71, status: 200, items: [{ id: 1, version: 1 }] }),
      read({ job: 'list', start: 110, end: 111, status: 200, items: [{ id: 2, version: 1 }, { id: 1, version: 1 }] }),
      read({ job: 'list', start: 55, end: 56, status: 200, items: [{ id: 1, version: 1 }] }),
      read({ job: 'list', start: 112, end: 113, status: 500 }),
    ]));
    expect(v.stale).toBe(2);
    expect(v.failedReads).toBe(1);
    expect(v.problems.some((p) => /job 2 missing/.test(p))).toBe(true);
    expect(v.problems.some((p) => /job 1 v1 < acknowledged v2/.test(p))).toBe(true);
  });

  it('checks refusals: Retry-After present and the row unchanged', () => {
    const writes = [
      ...created,
      write({ job: 1, kind: 'update', start: 200, end: 210, status: 503, retryAfter: '2', rowUnchanged: true }),
      write({ job: 1, kind: 'update', start: 220, end: 230, status: 503, rowUnchanged: true }),
      write({ job: 1, kind: 'update', start: 240, end: 250, status: 503, retryAfter: '1', rowUnchanged: false }),
      write({ job: -1, kind: 'create', start: 260, end: 270, status: 503, retryAfter: 'soon', rowUnchanged: true }),
    ];
    const v = checkHistory(history(writes, []));
    expect(v).toMatchObject({ refused: 4, badRefusals: 3, failedWrites: 0, acked: 2 });
  });

  it('counts failed writes unless excused, and measures acknowledged writes only', () => {
    const writes = [
      write({ job: 1, kind: 'create', start: 0, end: 10, status: 201, version: 1 }),
      write({ job: 1, kind: 'update', start: 10, end: 40, status: 200, version: 2 }),
      write({ job: 1, kind: 'update', start: 50, end: 5_000, status: 0, note: 'client timeout' }),
      write({ job: 1, kind: 'update', start: 60, end: 70, status: 500 }),
      write({ job: 1, kind: 'update', start: 80, end: 90, status: 0, excused: 'instance stopped' }),
    ];
    const v = checkHistory(history(writes, []));
    expect(v.failedWrites).toBe(2);
    expect(v.writeLatency).toEqual({ p50: 10, p99: 30, max: 30 });
  });

  it('reads ETags of the jobs API', () => {
    expect(versionOfEtag('"v12-AbC_d"')).toBe(12);
    expect(versionOfEtag('W/"v3-x"')).toBe(3);
    expect(versionOfEtag('"abc"')).toBeUndefined();
    expect(versionOfEtag(undefined)).toBeUndefined();
  });
});
