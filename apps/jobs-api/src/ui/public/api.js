// The page's only way to the API: same origin, the bearer token when there is one, and no browser HTTP
// cache in between (the page sends its own If-None-Match and wants to see the 304 itself). Event streams are
// read with fetch too: EventSource cannot send the token.

/**
 * @typedef {object} ApiResponse
 * @property {number} status
 * @property {string | null} etag
 * @property {any} body parsed JSON, or `undefined` for a 304, a 204 or a body that is not JSON
 */

/** Thrown for a 401: the token is missing, wrong or no longer accepted. */
export class UnauthorizedError extends Error {}

/**
 * @param {() => string | null} token the current bearer token, read on every call (it can change)
 */
export function createApi(token) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {{ body?: unknown, etag?: string | null }} [options]
   * @returns {Promise<ApiResponse>}
   */
  async function request(method, path, options = {}) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json' };
    const current = token();
    if (current) headers.authorization = `Bearer ${current}`;
    if (options.etag) headers['if-none-match'] = options.etag;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      cache: 'no-store',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (response.status === 401) throw new UnauthorizedError('The API refused the token');
    const text = response.status === 304 || response.status === 204 ? '' : await response.text();
    return { status: response.status, etag: response.headers.get('etag'), body: parseJson(text) };
  }

  /**
   * Opens an event stream (`text/event-stream`) with `fetch`, which, unlike `EventSource`, sends the token.
   * @param {string} path
   * @param {string | undefined} lastEventId resume after this event
   * @param {AbortSignal} signal
   * @returns {Promise<Response>} any status but 401 (the caller reads a 200's body)
   */
  async function stream(path, lastEventId, signal) {
    /** @type {Record<string, string>} */
    const headers = { accept: 'text/event-stream' };
    const current = token();
    if (current) headers.authorization = `Bearer ${current}`;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const response = await fetch(path, { headers, cache: 'no-store', signal });
    if (response.status === 401) throw new UnauthorizedError('The API refused the token');
    return response;
  }

  return {
    /** @param {string} path @param {string | null} [etag] */
    get: (path, etag) => request('GET', path, { etag }),
    stream,
    /** @param {string} path @param {unknown} body */
    post: (path, body) => request('POST', path, { body }),
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */

/** @param {string} text @returns {any} */
function parseJson(text) {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    console.warn('The API answered with a body that is not JSON', error);
    return undefined;
  }
}
