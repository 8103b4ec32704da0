// One job's Server-Sent Events (GET /api/v2/jobs/:id/events), read with fetch and parsed by eventsource-parser:
// `job` events (id = the version) as each version is acknowledged, then `end` (finished) or `gone` (deleted).

import { createParser } from 'eventsource-parser';

/**
 * @typedef {object} StreamHandlers
 * @property {(job: any) => void} onJob each version of the job, in order, once
 * @property {() => void} onEnd the job finished: nothing more will come
 * @property {() => void} onGone the job was deleted (or is not visible to this caller)
 * @property {(error: unknown) => void} onBroken the stream could not be opened, or ended early: follow the job another way
 */

/**
 * Reads the job's stream until it ends or the returned function is called.
 * @param {import('./api.js').Api} api
 * @param {number} id
 * @param {string | undefined} lastEventId resume after this version
 * @param {StreamHandlers} handlers
 * @returns {() => void} stop
 */
export function streamJob(api, id, lastEventId, handlers) {
  const abort = new AbortController();
  const path = `/api/v2/jobs/${id}/events`;
  let over = false;
  const parser = createParser({
    onEvent: (event) => {
      if (event.event === 'job') handlers.onJob(JSON.parse(event.data));
      else if (event.event === 'end') finish(handlers.onEnd);
      else if (event.event === 'gone') finish(handlers.onGone);
    },
  });
  /** @param {() => void} then */
  function finish(then) {
    over = true;
    then();
  }

  async function read() {
    const response = await api.stream(path, lastEventId, abort.signal);
    if (response.status === 404) return finish(handlers.onGone);
    if (response.status !== 200 || response.body === null) throw new Error(`GET ${path} answered ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    // Ended without `end` or `gone`: the instance is shutting down, or a proxy cut it.
    if (!over) throw new Error(`GET ${path} ended early`);
  }

  read().catch((error) => {
    if (!abort.signal.aborted && !over) handlers.onBroken(error);
  });
  return () => abort.abort();
}
