import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import { deleteRedisKeys, SHARED_REDIS_URL, TOKENS } from './support/app-harness.js';
import { type AppCluster, startCluster } from './support/app-cluster.js';
import { runDemo } from './support/demo-worker.js';
import { type HeadlessChromium, launchChromium } from './support/headless-chromium.js';
import { type ListeningApp, startListeningApp } from './support/listening-app.js';
import { type JobPoll, PageObserver } from './support/page-observer.js';
import { sleep, until } from './support/wait.js';

/** Ignored by git: a test run never rewrites a tracked file. `npm run screenshots` copies the README's picture from here. */
const SCREENSHOT_DIR = fileURLToPath(new URL('./artifacts/', import.meta.url));
/** Where the README's screenshot lives; written only when PAGE_SCREENSHOT_TO_DOCS=1 (npm run screenshots). */
const README_SCREENSHOT = fileURLToPath(new URL('../docs/images/jobs-page.png', import.meta.url));
/** The L1 area's colour in apps/jobs-api/src/ui/public/cache-chart.js. */
const L1_COLOR = '#2e7d32';

/**
 * Samples a job row's bar and status every 50 ms (from the test: the page's policy forbids evaluating strings)
 * until the status reads `completed` or `timeoutMs` passes; `onMidway` runs once, at the first value strictly
 * between 0 and 100.
 */
async function watchBar(row: Locator, timeoutMs: number, onMidway: () => Promise<void>): Promise<{ values: number[]; completed: boolean }> {
  const values: number[] = [];
  const deadline = Date.now() + timeoutMs;
  let midway = false;
  while (Date.now() < deadline) {
    const [value, status] = await Promise.all([row.locator('progress').getAttribute('value'), row.locator('.job-status').textContent()]);
    if (values[values.length - 1] !== Number(value)) values.push(Number(value));
    if (status === 'completed') return { values, completed: true };
    if (!midway && Number(value) > 0 && Number(value) < 100) {
      midway = true;
      await onMidway();
    }
    await sleep(50);
  }
  return { values, completed: false };
}

/** Waits until `locator`'s text satisfies `test` (or `timeoutMs` passes) and returns the last text read. */
/** Creates a job with the page's form; its row and id once the row shows. */
async function createWithForm(page: Page, title: string, scenesTotal: number): Promise<{ row: Locator; id: number }> {
  await page.fill('#create-form input[name=title]', title);
  await page.fill('#create-form input[name=scenesTotal]', String(scenesTotal));
  await page.click('#create-form button');
  const row = page.locator('li.job', { hasText: title });
  await row.waitFor();
  return { row, id: Number(await row.getAttribute('data-job-id')) };
}

async function textWhen(locator: Locator, test: (text: string) => boolean, timeoutMs: number): Promise<string> {
  let text = '';
  await until(async () => test((text = (await locator.textContent()) ?? '')), timeoutMs);
  return text;
}

/** The chart has at least `points` readings and draws the L1 area as a line through as many vertices. */
async function chartDrawn(page: Page, points: number, timeoutMs: number): Promise<{ points: number; l1Vertices: number }> {
  await until(async () => Number(await page.locator('#cache-panel').getAttribute('data-points')) >= points, timeoutMs);
  const l1Lines = await page.locator(`#cache-chart svg path[stroke="${L1_COLOR}"][fill="none"]`).all();
  const vertices = await Promise.all(l1Lines.map(async (line) => ((await line.getAttribute('d')) ?? '').split(/[ML]/).filter((s) => s.trim() !== '').length));
  return { points: Number(await page.locator('#cache-panel').getAttribute('data-points')), l1Vertices: Math.max(0, ...vertices) };
}

/** The ETag of the last 200 among the first `index` polls. */
function lastEtagBefore(polls: readonly JobPoll[], index: number): string | undefined {
  return polls.slice(0, index).filter((p) => p.status === 200).pop()?.etag;
}

async function screenshot(page: Page, name: string, forReadme = false): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, name);
  await page.screenshot({ path, fullPage: true });
  if (forReadme && process.env.PAGE_SCREENSHOT_TO_DOCS === '1') {
    await mkdir(dirname(README_SCREENSHOT), { recursive: true });
    await copyFile(path, README_SCREENSHOT);
  }
}

describe('the page in headless Chromium', () => {
  let chromium: HeadlessChromium;

  beforeAll(async () => {
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
  });

  describe('auth on, two instances sharing PostgreSQL and Redis', () => {
    const prefix = `jobs-page-${Math.random().toString(16).slice(2, 10)}:`;
    let cluster: AppCluster;

    beforeAll(async () => {
      cluster = await startCluster({ redisUrls: [SHARED_REDIS_URL, SHARED_REDIS_URL], prefix });
    });
    afterAll(async () => {
      await cluster?.close();
      await deleteRedisKeys(SHARED_REDIS_URL, prefix);
    });

    it("shows a job's bar going from 0 to 100 % while a worker updates it through the other instance", async () => {
      const [a, b] = cluster.instances;
      const page = await chromium.context.newPage();
      const seen = await PageObserver.start(page);
      await page.goto(`${a.baseUrl}/`);

      // Token entry: a wrong token is refused, the client's own is kept for the tab.
      await page.locator('#token-gate').waitFor({ state: 'visible' });
      await page.fill('#token-form input[name=token]', 'not-a-token-of-this-service');
      await page.click('#token-form button');
      // The page asks the API before it answers: wait for the message rather than read it right after the click.
      expect(await textWhen(page.locator('#token-error'), (text) => text !== '', 5_000)).toBe('The API refused this token.');
      await page.fill('#token-form input[name=token]', TOKENS.acme);
      await page.click('#token-form button');
      await page.locator('#jobs').waitFor({ state: 'visible' });

      // Jobs created for this client through the other instance appear by the list's own conditional poll.
      const elsewhere = await runDemo(['--url', b.baseUrl, '--token', TOKENS.admin, '--client', 'acme', '--jobs', '2', '--step-ms', '20']);
      expect(elsewhere.code).toBe(0);
      await page.locator('li.job .job-status', { hasText: 'completed' }).nth(1).waitFor({ timeout: 10_000 });
      await expect(page.locator('li.job').count()).resolves.toBe(2);

      // The create form.
      const { row, id } = await createWithForm(page, 'Browser render', 4);
      await expect(row.locator('progress').getAttribute('value')).resolves.toBe('0');
      // The job is followed by its event stream, opened on instance A.
      expect(await until(async () => (await row.getAttribute('data-transport')) === 'stream' && seen.streamsOf(id).includes(200), 5_000)).toBe(true);

      // The worker reports progress through instance B; the page reads instance A only. The README's picture is
      // taken while the bar is on its way.
      const [worker, bar] = await Promise.all([
        runDemo(['--url', b.baseUrl, '--token', TOKENS.admin, '--job', String(id), '--step-ms', '700']),
        watchBar(row, 30_000, () => screenshot(page, 'jobs-page-two-instances.png', true)),
      ]);
      expect(worker.code).toBe(0);
      expect(bar.completed).toBe(true);
      expect(bar.values[0]).toBe(0);
      expect(bar.values[bar.values.length - 1]).toBe(100);
      expect(bar.values).toEqual([...bar.values].sort((x, y) => x - y));
      expect(bar.values.some((v) => v > 0 && v < 100)).toBe(true);
      // v1 created, then preparing, 4 scenes, encoding, completed.
      expect(await textWhen(row.locator('.job-detail'), (text) => text.includes('v8'), 5_000)).toContain('v8');

      // Live progress was pushed: one stream, held through every update (it ends after the job completes), and
      // not a single poll of the job.
      expect(seen.streamsOf(id)).toEqual([200]);
      expect(seen.pollsOf(id)).toEqual([]);

      // Where a stream cannot be held (refused here in the browser, as a proxy that does not pass event streams
      // would answer), the page follows the job with conditional polls: each poll after the first sends the
      // ETag of the last 200, and an unchanged job answers 304.
      const refusedStreams: Array<string | undefined> = [];
      await page.route('**/api/v2/jobs/*/events', (route) => {
        refusedStreams.push(route.request().headers()['last-event-id']);
        return route.fulfill({ status: 503, headers: { 'retry-after': '5' }, body: 'no streams here' });
      });
      const { row: polledRow, id: polledId } = await createWithForm(page, 'Polled render', 2);
      expect(await until(() => seen.pollsOf(polledId).some((p) => p.status === 304), 5_000)).toBe(true);
      await expect(polledRow.getAttribute('data-transport')).resolves.toBe('polls');
      // The stream is tried again after 5 s, resuming after the version the polls showed (v1).
      expect(await until(() => refusedStreams.length >= 2, 10_000)).toBe(true);
      expect(refusedStreams.slice(0, 2)).toEqual([undefined, '1']);
      const [polledWorker, polledBar] = await Promise.all([
        runDemo(['--url', b.baseUrl, '--token', TOKENS.admin, '--job', String(polledId), '--step-ms', '700']),
        watchBar(polledRow, 30_000, async () => undefined),
      ]);
      expect(polledWorker.code).toBe(0);
      expect(polledBar.completed).toBe(true);
      expect(polledBar.values).toEqual([...polledBar.values].sort((x, y) => x - y));
      const polls = seen.pollsOf(polledId);
      expect(polls.length).toBeGreaterThanOrEqual(3);
      expect(polls.every((p) => p.status === 200 || p.status === 304)).toBe(true);
      expect(polls[0]).toMatchObject({ status: 200, ifNoneMatch: undefined });
      expect(polls.map((p, i) => p.ifNoneMatch === lastEtagBefore(polls, i))).not.toContain(false);
      await page.unroute('**/api/v2/jobs/*/events');

      // The cache panel: Redis up, circuit closed, a hit rate, and a chart drawn with data.
      const chart = await chartDrawn(page, 2, 15_000);
      expect(chart.points).toBeGreaterThanOrEqual(2);
      expect(chart.l1Vertices).toBeGreaterThanOrEqual(2);
      expect(await textWhen(page.locator('#redis-state'), (text) => text !== '…', 5_000)).toBe('available');
      await expect(page.locator('#circuit-state').textContent()).resolves.toBe('closed');
      await expect(page.locator('#hit-rate').textContent()).resolves.toMatch(/^(\d+ %|no reads)$/);
      // The chart's tooltip (styled by the library at run time) under the page's policy.
      await page.hover('#cache-chart', { position: { x: 300, y: 120 } });
      await sleep(300);

      // Everything came from instance A itself (no CDN), and nothing failed in the page but the two 401s of
      // the sign-in (no token yet, then the wrong one) and the refused streams of the polled job.
      expect([...seen.origins()]).toEqual([a.baseUrl]);
      expect(seen.failedResponses).toEqual([
        '401 /api/v2/jobs?limit=1', '401 /api/v2/jobs?limit=1', ...refusedStreams.map(() => `503 /api/v2/jobs/${polledId}/events`),
      ]);
      expect(seen.errors).toEqual([]);
      await page.close();
    });
  });

  describe('auth off, no Redis (as on npm start with no environment)', () => {
    let h: ListeningApp;

    beforeAll(async () => {
      h = await startListeningApp({ auth: false, redisUrl: null });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('needs nothing typed: the jobs and the form show at once, and the panel says Redis is not configured', async () => {
      const page = await chromium.context.newPage();
      const seen = await PageObserver.start(page);
      await page.goto(`${h.baseUrl}/`);
      await page.locator('#jobs').waitFor({ state: 'visible' });
      expect(await page.locator('#token-gate').isHidden()).toBe(true);
      expect(await page.locator('#forget-token').isHidden()).toBe(true);
      await page.fill('#create-form input[name=title]', 'Local render');
      await page.click('#create-form button');
      await page.locator('li.job', { hasText: 'Local render' }).waitFor();
      expect(await textWhen(page.locator('#redis-state'), (text) => text !== '…', 10_000)).toBe('not configured');
      expect(seen.failedResponses).toEqual([]);
      expect(seen.errors).toEqual([]);
      await screenshot(page, 'jobs-page-auth-off.png');
      await page.close();
    });
  });
});
