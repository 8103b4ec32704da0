// The demo worker's calls to the jobs API, with errors a newcomer can act on.

/** A failure the demo reports in one line and exits on. */
export class DemoError extends Error {}

const REQUEST_TIMEOUT_MS = 10_000;

/** @param {string} baseUrl @param {string | undefined} token */
export function apiClient(baseUrl, token) {
  /** @param {string} method @param {string} path @param {unknown} [body] */
  async function call(method, path, body) {
    let response;
    try {
      response = await fetch(new URL(path, baseUrl), {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new DemoError(`cannot reach ${baseUrl} (${error instanceof Error ? (error.cause?.code ?? error.message) : String(error)}): is the service running? (npm start)`);
    }
    const text = await response.text();
    if (response.status === 401) throw new DemoError('the service requires a token: pass --token <ADMIN_TOKEN> or set ADMIN_TOKEN');
    if (response.status === 403) throw new DemoError('this token is not the admin token: progress updates need ADMIN_TOKEN');
    if (!response.ok) throw new DemoError(`${method} ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  }
  return {
    create: (body) => call('POST', '/api/v2/jobs', body),
    get: (id) => call('GET', `/api/v2/jobs/${id}`),
    progress: (id, body) => call('PATCH', `/api/v2/jobs/${id}/progress`, body),
  };
}
