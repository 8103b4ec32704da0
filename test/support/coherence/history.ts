/**
 * The history of a fault case: every read and every write the test sent, with when it started and ended on
 * the test process's monotonic clock (`performance.now()`, ms). Both bounds are taken in the test process,
 * around the HTTP exchange, so they are conservative for the checks: a recorded start is no later than the
 * real one, a recorded end no earlier.
 */

/** One item of a list page: a job and the version the page showed. */
export interface ListItem {
  id: number;
  version: number;
}

/** A `GET /api/v2/jobs/:id` (`job` = the id) or a `GET /api/v2/jobs` (`job` = `'list'`). */
export interface ReadRecord {
  instance: string;
  job: number | 'list';
  start: number;
  end: number;
  /** HTTP status; `0` for a network error or a client-side timeout. */
  status: number;
  /** The version served: the body's, or the `ETag`'s for a `304`. */
  version?: number;
  xCache?: string;
  /** The answer's `ETag` (a poller sends it back as `If-None-Match`). */
  etag?: string;
  /** A list page's items. */
  items?: ListItem[];
  /**
   * Set when the read went to an instance the test was stopping or had stopped on purpose: a network error
   * then is the test's doing, not a failed poll (what it returned is still checked).
   */
  excused?: string;
  /** Transport error or the start of an unexpected body, for the report. */
  note?: string;
}

export type WriteKind = 'create' | 'update' | 'delete';

/** A `POST`, `PATCH …/progress` or `DELETE` the test sent. */
export interface WriteRecord {
  instance: string;
  /** The job's id; for a create that got no id (refused, failed), `-1`. */
  job: number;
  kind: WriteKind;
  start: number;
  end: number;
  status: number;
  /** The version the write produced (from the body of a 200/201; a delete has none). */
  version?: number;
  /** The `Retry-After` header of a refusal. */
  retryAfter?: string;
  /** For a refusal (503): whether PostgreSQL showed the row exactly as before, checked right after. */
  rowUnchanged?: boolean;
  excused?: string;
  note?: string;
}

/** Collects reads and writes; the checker reads them after the run. */
export class History {
  readonly reads: ReadRecord[] = [];
  readonly writes: WriteRecord[] = [];

  read(record: ReadRecord): void {
    this.reads.push(record);
  }

  write(record: WriteRecord): void {
    this.writes.push(record);
  }
}

/** Whether a status acknowledges a write. */
export const isAck = (status: number): boolean => status === 200 || status === 201 || status === 204;

/** The version in a jobs API `ETag` (`"v<version>-<digest>"`), if it has one. */
export function versionOfEtag(etag: string | string[] | undefined): number | undefined {
  const match = /^(?:W\/)?"v(\d+)-/.exec(Array.isArray(etag) ? (etag[0] ?? '') : (etag ?? ''));
  return match === null ? undefined : Number(match[1]);
}
