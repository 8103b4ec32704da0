import { percentile } from '../wait.js';
import { type History, isAck, type ReadRecord, type WriteRecord } from './history.js';

/** What the checker found in a history (counts are of reads or writes, not of items). */
export interface Verdict {
  /** Reads checked (job and list reads, excused ones included). */
  reads: number;
  listReads: number;
  /** Reads that started after the end of an acknowledged write of version v and returned an older version (or a list missing an acknowledged job). */
  stale: number;
  /** Reads that started after an acknowledged delete and returned the job. */
  deletedServed: number;
  /** Reads answered with anything but 200/304/404, a network error, or a 404 for a job that was live. */
  failedReads: number;
  /** Failed reads of an instance the test was stopping on purpose (not counted as failed). */
  excusedReads: number;
  /** Longest time from the first acknowledgement that made a read stale to the start of that read, ms. */
  maxStaleAfterAckMs: number;
  acked: number;
  /** Writes answered `503`. */
  refused: number;
  /** Refusals without a `Retry-After`, or after which the row had changed. */
  badRefusals: number;
  /** Writes answered with anything but an acknowledgement or a `503` (network errors included). */
  failedWrites: number;
  /** Latency of acknowledged writes, ms. */
  writeLatency: { p50: number; p99: number; max: number };
  /** The first problems found, in words. */
  problems: string[];
}

const MAX_PROBLEMS = 30;

/** Everything the checker needs to know about one job's writes. */
class JobTimeline {
  /** Acknowledged creates and updates: end time and version, sorted by end, with a running maximum. */
  private acks: Array<{ end: number; version: number; max: number }> = [];
  createAckedAt = Number.POSITIVE_INFINITY;
  deleteAckedAt = Number.POSITIVE_INFINITY;
  /** The first acknowledged delete, in words (for a problem's description). */
  deleteAck = '';
  /** Earliest start of a delete that was not refused (it may have been applied, even if never acknowledged). */
  deleteMayApplyFrom = Number.POSITIVE_INFINITY;

  add(w: WriteRecord): void {
    if (w.kind === 'delete') {
      if (w.status !== 503) this.deleteMayApplyFrom = Math.min(this.deleteMayApplyFrom, w.start);
      if (isAck(w.status) && w.end < this.deleteAckedAt) {
        this.deleteAckedAt = w.end;
        this.deleteAck = `by ${w.instance} [${w.start.toFixed(1)}–${w.end.toFixed(1)} ms]`;
      }
      return;
    }
    if (!isAck(w.status) || w.version === undefined) return;
    if (w.kind === 'create') this.createAckedAt = Math.min(this.createAckedAt, w.end);
    this.acks.push({ end: w.end, version: w.version, max: 0 });
  }

  seal(): void {
    this.acks.sort((a, b) => a.end - b.end);
    let max = 0;
    for (const a of this.acks) a.max = max = Math.max(max, a.version);
  }

  /** The highest version acknowledged strictly before `t` (0 if none). */
  floorAt(t: number): number {
    let lo = 0;
    let hi = this.acks.length; // first index with end >= t
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.acks[mid].end < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.acks[lo - 1].max;
  }

  /** When the first acknowledgement of a version above `version` ended. */
  firstAckAbove(version: number): number {
    return this.acks.find((a) => a.version > version)?.end ?? Number.NaN;
  }

  /** Whether the job certainly existed during the whole of `read`: created (acked) before it, no delete could apply. */
  liveThroughout(read: ReadRecord): boolean {
    return this.createAckedAt < read.start && this.deleteMayApplyFrom >= read.end;
  }
}

/**
 * Checks a history against the guarantee of issue 10: no read that starts after an acknowledged write
 * returns an older version or a deleted job, on any instance; no poll fails; a refused write carries
 * `Retry-After` and changed nothing. Pure: the same history always gives the same verdict.
 */
export function checkHistory(history: History): Verdict {
  const timelines = new Map<number, JobTimeline>();
  const timeline = (id: number): JobTimeline => {
    let t = timelines.get(id);
    if (t === undefined) timelines.set(id, (t = new JobTimeline()));
    return t;
  };
  for (const w of history.writes) if (w.job >= 0) timeline(w.job).add(w);
  for (const t of timelines.values()) t.seal();

  const v: Verdict = {
    reads: history.reads.length, listReads: 0, stale: 0, deletedServed: 0, failedReads: 0, excusedReads: 0, maxStaleAfterAckMs: 0,
    acked: 0, refused: 0, badRefusals: 0, failedWrites: 0, writeLatency: { p50: 0, p99: 0, max: 0 }, problems: [],
  };
  const problem = (text: string): void => {
    if (v.problems.length < MAX_PROBLEMS) v.problems.push(text);
  };
  const at = (r: ReadRecord): string => `${r.instance} read ${r.job === 'list' ? 'the list' : `job ${r.job}`} [${r.start.toFixed(1)}–${r.end.toFixed(1)} ms]`;
  const failed = (r: ReadRecord, why: string): void => {
    if (r.excused !== undefined) {
      v.excusedReads += 1;
      return;
    }
    v.failedReads += 1;
    problem(`failed: ${at(r)}: ${why}`);
  };

  /** Checks one served version of `id`; returns the kind of problem, if any. */
  const served = (r: ReadRecord, id: number, version: number): 'deleted' | 'stale' | undefined => {
    const t = timelines.get(id);
    if (t === undefined) return undefined;
    if (t.deleteAckedAt < r.start) return 'deleted';
    const floor = t.floorAt(r.start);
    if (version >= floor) return undefined;
    v.maxStaleAfterAckMs = Math.max(v.maxStaleAfterAckMs, r.start - t.firstAckAbove(version));
    return 'stale';
  };
  const flag = (r: ReadRecord, kind: 'deleted' | 'stale' | undefined, what: string): boolean => {
    if (kind === 'deleted') {
      v.deletedServed += 1;
      problem(`deleted served: ${at(r)}: ${what}`);
    } else if (kind === 'stale') {
      v.stale += 1;
      problem(`stale: ${at(r)}: ${what} (X-Cache ${r.xCache ?? '-'})`);
    }
    return kind !== undefined;
  };

  for (const r of history.reads) {
    if (r.job === 'list') {
      v.listReads += 1;
      if (r.status !== 200 || r.items === undefined) {
        failed(r, `status ${r.status} ${r.note ?? ''}`);
        continue;
      }
      const listed = new Map(r.items.map((i) => [i.id, i.version]));
      let found = false;
      for (const item of r.items) {
        if (found) break;
        const kind = served(r, item.id, item.version);
        found = flag(r, kind, `job ${item.id} v${item.version}${kind === 'stale' ? ` < acknowledged v${timelines.get(item.id)!.floorAt(r.start)}` : ` after its delete was acknowledged ${timelines.get(item.id)!.deleteAck}`}`);
      }
      for (const [id, t] of timelines) {
        if (found) break;
        if (t.liveThroughout(r) && !listed.has(id)) {
          v.stale += 1;
          found = true;
          problem(`stale: ${at(r)}: job ${id} missing, its create was acknowledged before the read`);
        }
      }
      continue;
    }
    if (r.status === 200 || r.status === 304) {
      if (r.version === undefined) failed(r, `status ${r.status} without a version ${r.note ?? ''}`);
      else {
        const kind = served(r, r.job, r.version);
        flag(r, kind, `v${r.version}${kind === 'stale' ? ` < acknowledged v${timelines.get(r.job)!.floorAt(r.start)}` : ` after its delete was acknowledged ${timelines.get(r.job)!.deleteAck} (X-Cache ${r.xCache ?? '-'})`}`);
      }
    } else if (r.status === 404) {
      if (timelines.get(r.job)?.liveThroughout(r)) failed(r, '404 for a job whose create was acknowledged and that no delete touched');
    } else {
      failed(r, `status ${r.status} ${r.note ?? ''}`);
    }
  }

  const latencies: number[] = [];
  for (const w of history.writes) {
    const what = `${w.instance} ${w.kind} of job ${w.job} [${w.start.toFixed(1)}–${w.end.toFixed(1)} ms]`;
    if (isAck(w.status)) {
      v.acked += 1;
      latencies.push(w.end - w.start);
    } else if (w.status === 503) {
      v.refused += 1;
      const retryAfter = Number(w.retryAfter);
      if (!(Number.isInteger(retryAfter) && retryAfter > 0) || w.rowUnchanged !== true) {
        v.badRefusals += 1;
        problem(`bad refusal: ${what}: Retry-After ${w.retryAfter ?? 'missing'}, row unchanged ${String(w.rowUnchanged)}`);
      }
    } else if (w.excused === undefined) {
      v.failedWrites += 1;
      problem(`failed write: ${what}: status ${w.status} ${w.note ?? ''}`);
    }
  }
  v.writeLatency = { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.length === 0 ? 0 : Math.max(...latencies) };
  return v;
}
