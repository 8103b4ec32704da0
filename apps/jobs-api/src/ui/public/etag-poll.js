// A conditional poll: GET with If-None-Match every interval. An unchanged resource costs a 304 with no body
// (answered from the cache entry, usually before the framework runs); a changed one comes back as a 200 with
// its new ETag.

/**
 * @typedef {object} PollHandlers
 * @property {(body: any, etag: string | null) => void} onChange a 200: the resource is new or changed (with its ETag)
 * @property {(status: number) => void} onStatus any status but 200 and 304 (e.g. 404: gone); polling goes on unless stopped
 * @property {(error: unknown) => void} onError the request failed (network, 401, …); the poll backs off and goes on
 */

const MAX_BACKOFF_MS = 10_000;

/**
 * Polls `path` until the returned function is called.
 * @param {import('./api.js').Api} api
 * @param {string} path
 * @param {number} intervalMs
 * @param {PollHandlers} handlers
 * @param {string | null} [knownEtag] the ETag of a version already shown (the first poll is then conditional too)
 * @returns {() => void} stop
 */
export function pollWithEtag(api, path, intervalMs, handlers, knownEtag = null) {
  let etag = knownEtag;
  let failures = 0;
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  async function tick() {
    try {
      const response = await api.get(path, etag);
      if (stopped) return;
      failures = 0;
      if (response.status === 200) {
        etag = response.etag;
        handlers.onChange(response.body, etag);
      } else if (response.status !== 304) {
        handlers.onStatus(response.status);
      }
    } catch (error) {
      if (stopped) return;
      failures += 1;
      handlers.onError(error);
    }
    if (!stopped) timer = setTimeout(() => void tick(), Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** failures));
  }

  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
