import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AppHarness, bearer, startApp } from './support/app-harness.js';

/** The page at `/` over HTTP (the browser test, jobs-page-browser.e2e-spec.ts, runs it in Chromium). */
describe('the page at /', () => {
  let h: AppHarness;

  beforeAll(async () => {
    h = await startApp(); // auth on
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is served without a token while the API behind it still requires one', async () => {
    const page = await h.http().get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script type="module" src="/ui/app.js">');
    expect((await h.http().get('/api/v2/jobs')).status).toBe(401);
    expect((await h.http().get('/api/v2/jobs').set(bearer('acme'))).status).toBe(200);
  });

  it('allows scripts from this origin and the inline import map by its hash only', async () => {
    const csp = (await h.http().get('/')).headers['content-security-policy'];
    expect(csp).toMatch(/^default-src 'self'; script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'; /);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
  });

  it('serves its script, stylesheet and the chart library (from node_modules), with ETag revalidation', async () => {
    const html = (await h.http().get('/')).text;
    const app = await h.http().get('/ui/app.js');
    expect(app.status).toBe(200);
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const again = await h.http().get('/ui/app.js').set('If-None-Match', app.headers.etag);
    expect(again.status).toBe(304);
    expect(again.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const importMap = JSON.parse(/<script type="importmap">(.*?)<\/script>/s.exec(html)![1]) as { imports: Record<string, string> };
    const chartLibrary = await h.http().get(importMap.imports.echarts).buffer(true);
    expect(chartLibrary.status).toBe(200);
    expect(chartLibrary.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(Number(chartLibrary.headers['content-length'])).toBeGreaterThan(500_000);
    for (const stylesheet of html.matchAll(/href="(\/ui\/[^"]+)"/g)) expect((await h.http().get(stylesheet[1])).status).toBe(200);
  });

  it.each(['/ui/index.html', '/ui/page.controller.ts', '/ui/..%2Fpage-files.ts', '/ui/vendor/echarts/echarts.min.js', '/ui/vendor/echarts/..%2F..%2Fpackage.json', '/ui/'])(
    'answers 404 for %s: only the fixed set of files is reachable',
    async (path) => {
      expect((await h.http().get(path)).status).toBe(404);
    },
  );
});
