// The caller's jobs: the list (newest 20) is polled with its ETag to learn of new and deleted jobs, and each
// job that is not finished is followed through job-feed.js for its progress.

import { pollWithEtag } from './etag-poll.js';
import { watchJob } from './job-feed.js';
import { FINAL_STATUSES, JobRow } from './job-row.js';

const LIST_PATH = '/api/v2/jobs?limit=20';
const LIST_POLL_INTERVAL_MS = 3000;
/** A list answer that started before the page created a job can arrive after it: spare the new job that long. */
const CREATED_GRACE_MS = 2 * LIST_POLL_INTERVAL_MS;

/** @typedef {import('./job-row.js').Job} Job */

export class JobsBoard {
  /**
   * @param {import('./api.js').Api} api
   * @param {HTMLOListElement} list
   * @param {HTMLElement} empty shown while there is no job
   * @param {(error: unknown) => void} onError
   */
  constructor(api, list, empty, onError) {
    this.api = api;
    this.list = list;
    this.empty = empty;
    this.onError = onError;
    /** @type {Map<number, { row: JobRow, stopWatch?: () => void, createdHereAt?: number }>} */
    this.jobs = new Map();
    /** @type {(() => void) | undefined} */
    this.stopList = undefined;
  }

  start() {
    this.stopList ??= pollWithEtag(this.api, LIST_PATH, LIST_POLL_INTERVAL_MS, {
      onChange: (page) => this.showList(/** @type {{ items: Job[] }} */ (page).items),
      onStatus: (status) => this.onError(new Error(`GET ${LIST_PATH} answered ${status}`)),
      onError: this.onError,
    });
  }

  stop() {
    this.stopList?.();
    this.stopList = undefined;
    for (const id of [...this.jobs.keys()]) this.remove(id);
  }

  /** Shows a job the page itself just created, before the next list poll. @param {Job} job */
  add(job) {
    this.show(job, true);
    const entry = this.jobs.get(job.id);
    if (entry) entry.createdHereAt = Date.now();
  }

  /** @param {Job[]} items newest first */
  showList(items) {
    const listed = new Set(items.map((job) => job.id));
    const now = Date.now();
    for (const [id, entry] of this.jobs) {
      if (!listed.has(id) && !(entry.createdHereAt !== undefined && now - entry.createdHereAt < CREATED_GRACE_MS)) this.remove(id);
    }
    // Oldest first, each inserted at the top: the list ends newest first.
    for (const job of [...items].reverse()) this.show(job, false);
  }

  /** @param {Job} job @param {boolean} atTop */
  show(job, atTop) {
    let entry = this.jobs.get(job.id);
    if (entry === undefined) {
      entry = { row: new JobRow(job) };
      this.jobs.set(job.id, entry);
      if (atTop || this.list.firstChild === null) this.list.prepend(entry.row.item);
      else this.insertInOrder(entry.row.item, job.id);
    } else {
      entry.row.show(job);
    }
    this.follow(job.id, entry, job.status);
    this.empty.hidden = this.jobs.size > 0;
  }

  /** Keeps newest first when a job appears that is older than the top one. @param {HTMLElement} item @param {number} id */
  insertInOrder(item, id) {
    const next = [...this.list.children].find((child) => Number(/** @type {HTMLElement} */ (child).dataset.jobId) < id);
    this.list.insertBefore(item, next ?? null);
  }

  /**
   * Follows unfinished jobs only: a finished job's later changes (rare) still arrive through the list poll.
   * @param {number} id @param {{ row: JobRow, stopWatch?: () => void }} entry @param {string} status
   */
  follow(id, entry, status) {
    if (FINAL_STATUSES.has(status)) {
      entry.stopWatch?.();
      entry.stopWatch = undefined;
      return;
    }
    entry.stopWatch ??= watchJob(this.api, id, {
      onJob: (job) => {
        entry.row.show(job);
        this.follow(id, entry, job.status);
      },
      onGone: () => this.remove(id),
      onError: this.onError,
      onTransport: (transport) => entry.row.followedBy(transport),
    });
  }

  /** @param {number} id */
  remove(id) {
    const entry = this.jobs.get(id);
    if (entry === undefined) return;
    entry.stopWatch?.();
    entry.row.item.remove();
    this.jobs.delete(id);
    this.empty.hidden = this.jobs.size > 0;
  }
}
