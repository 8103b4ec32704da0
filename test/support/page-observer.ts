import type { Page } from 'playwright-core';

/** One answer to a poll of a job, as the browser saw it. */
export interface JobPoll {
  readonly status: number;
  /** The `If-None-Match` the page sent. */
  readonly ifNoneMatch: string | undefined;
  /** The `ETag` the API answered. */
  readonly etag: string | undefined;
}

/**
 * What a page did while a test drove it: every request, answers of 400 and above (path and query, status),
 * console errors other than Chromium's own line for such an answer, uncaught errors, the job polls and the
 * job event streams.
 */
export class PageObserver {
  readonly requests: string[] = [];
  readonly errors: string[] = [];
  readonly failedResponses: string[] = [];
  private readonly polls = new Map<number, JobPoll[]>();
  private readonly streams = new Map<number, number[]>();

  private constructor(page: Page) {
    page.on('request', (request) => this.requests.push(request.url()));
    page.on('console', (message) => {
      // Chromium logs every 4xx/5xx answer as an error; those are in failedResponses, with their URL.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource: the server responded with a status of')) {
        this.errors.push(`console: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => this.errors.push(`page: ${error.message}`));
    page.on('response', (response) => {
      const url = new URL(response.url());
      if (response.status() >= 400) this.failedResponses.push(`${response.status()} ${url.pathname}${url.search}`);
      const streamed = /^\/api\/v2\/jobs\/(\d+)\/events$/.exec(url.pathname)?.[1];
      if (streamed !== undefined) this.streams.set(Number(streamed), [...(this.streams.get(Number(streamed)) ?? []), response.status()]);
      const id = /^\/api\/v2\/jobs\/(\d+)$/.exec(url.pathname)?.[1];
      if (id === undefined) return;
      const list = this.polls.get(Number(id)) ?? [];
      list.push({ status: response.status(), ifNoneMatch: response.request().headers()['if-none-match'], etag: response.headers().etag });
      this.polls.set(Number(id), list);
    });
  }

  /**
   * Starts observing `page` before it loads anything. A Content-Security-Policy violation (which the browser
   * only reports to the page) is turned into a console error, so it counts as an error too.
   */
  static async start(page: Page): Promise<PageObserver> {
    const observer = new PageObserver(page);
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))`);
    return observer;
  }

  /** The polls of job `id`, in order. */
  pollsOf(id: number): readonly JobPoll[] {
    return this.polls.get(id) ?? [];
  }

  /** The statuses of the event streams the page opened for job `id`, in order. */
  streamsOf(id: number): readonly number[] {
    return this.streams.get(id) ?? [];
  }

  /** Origins of every request the page made. */
  origins(): Set<string> {
    return new Set(this.requests.map((url) => new URL(url).origin));
  }
}
