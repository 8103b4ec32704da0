// How a job's new versions reach the page: the one place that picks the transport.
//
// First choice: the job's event stream (job-stream.js), pushed from whichever instance took the update. While
// it cannot be held (refused, cut, an instance shutting down) the job is polled with its ETag instead
// (etag-poll.js: a 304 while nothing changed), and the stream is tried again after a while, resuming after the
// last version shown. Callers see one sequence of versions either way.

import { pollWithEtag } from './etag-poll.js';
import { streamJob } from './job-stream.js';

/** Milliseconds between two polls of one job, while its stream is not available. */
export const JOB_POLL_INTERVAL_MS = 1000;
/** How long a job is polled after its stream broke, before the stream is tried again. */
export const STREAM_RETRY_MS = 5000;

/** How the page learns about new versions (shown in the header). */
export const TRANSPORT_LABEL = `pushed as Server-Sent Events; ETag polls every ${JOB_POLL_INTERVAL_MS / 1000} s while a stream is unavailable`;

/**
 * @typedef {object} JobHandlers
 * @property {(job: any) => void} onJob each version of the job, at least once
 * @property {() => void} onGone the job was deleted (or was never visible to this caller)
 * @property {(error: unknown) => void} onError a failed poll or stream (the watch goes on)
 * @property {(transport: 'stream' | 'polls') => void} [onTransport] how the job is followed now
 */

/**
 * Follows one job until the returned function is called (or the job is gone).
 * @param {import('./api.js').Api} api
 * @param {number} id
 * @param {JobHandlers} handlers
 * @returns {() => void} stop
 */
export function watchJob(api, id, handlers) {
  let stopped = false;
  /** @type {string | undefined} */
  let lastVersion;
  /** The ETag of the last poll's 200, while no newer version came by the stream: later polls stay conditional. */
  /** @type {string | null} */
  let lastEtag = null;
  let stopCurrent = () => {};
  /** @param {any} job */
  const onJob = (job) => {
    lastVersion = String(job.version);
    lastEtag = null;
    handlers.onJob(job);
  };
  const onGone = () => {
    stopped = true;
    stopCurrent();
    handlers.onGone();
  };

  function useStream() {
    handlers.onTransport?.('stream');
    stopCurrent = streamJob(api, id, lastVersion, {
      onJob,
      onEnd: () => undefined,
      onGone,
      onBroken: (error) => {
        if (stopped) return;
        handlers.onError(error);
        usePolls();
      },
    });
  }

  function usePolls() {
    handlers.onTransport?.('polls');
    const stopPolls = pollWithEtag(api, `/api/v2/jobs/${id}`, JOB_POLL_INTERVAL_MS, {
      onChange: (job, etag) => {
        onJob(job);
        lastEtag = etag;
      },
      onStatus: (status) => {
        if (status === 404) onGone();
        else handlers.onError(new Error(`GET /api/v2/jobs/${id} answered ${status}`));
      },
      onError: handlers.onError,
    }, lastEtag);
    const retry = setTimeout(() => {
      stopPolls();
      if (!stopped) useStream();
    }, STREAM_RETRY_MS);
    stopCurrent = () => {
      stopPolls();
      clearTimeout(retry);
    };
  }

  useStream();
  return () => {
    stopped = true;
    stopCurrent();
  };
}
