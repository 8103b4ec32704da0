import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One file of the page, held in memory with its validator. */
export interface PageFile {
  readonly body: Buffer;
  readonly contentType: string;
  /** Strong ETag of the body: the browser revalidates with it and gets a `304`. */
  readonly etag: string;
}

/** The page's own scripts and styles, served under `/ui/` (copied into `dist` by `nest build`). */
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

/** The charting library's ES module build, served from `node_modules` (no CDN: many users' networks are offline). */
export const CHART_LIBRARY_URL = '/ui/vendor/echarts/echarts.esm.min.mjs';

/** The event-stream parser's ES module build (one file, no imports), served from `node_modules` the same way. */
export const STREAM_PARSER_URL = '/ui/vendor/eventsource-parser/index.js';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

function pageFile(body: Buffer, contentType: string): PageFile {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/**
 * Every file the page loads, by URL path, read once at start. A fixed set: a URL is served only if it is a key
 * here, so no request path ever reaches the file system.
 */
export function readPageFiles(): ReadonlyMap<string, PageFile> {
  const files = new Map<string, PageFile>();
  for (const name of readdirSync(PUBLIC_DIR)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType !== undefined) files.set(`/ui/${name}`, pageFile(readFileSync(join(PUBLIC_DIR, name)), contentType));
  }
  const require = createRequire(import.meta.url);
  files.set(CHART_LIBRARY_URL, pageFile(readFileSync(require.resolve('echarts/dist/echarts.esm.min.mjs')), CONTENT_TYPES['.mjs']));
  // Its exports map has no entry for the file itself: found next to its package.json.
  const parserDir = dirname(require.resolve('eventsource-parser/package.json'));
  files.set(STREAM_PARSER_URL, pageFile(readFileSync(join(parserDir, 'dist', 'index.js')), CONTENT_TYPES['.js']));
  return files;
}

/** The page document and the Content-Security-Policy that goes with it. */
export interface PageDocument {
  readonly html: string;
  readonly contentSecurityPolicy: string;
}

const IMPORT_MAP = /<script type="importmap">([\s\S]*?)<\/script>/;

/**
 * Reads `index.html` once. Its only inline script is the import map (which says the bare specifiers `echarts`
 * and `eventsource-parser` load {@link CHART_LIBRARY_URL} and {@link STREAM_PARSER_URL}); the policy allows exactly that script by its hash and nothing but this
 * origin otherwise, so a script or request to a CDN would be refused by the browser itself. Inline `style`
 * attributes are allowed (not `<style>` elements): the chart library writes its tooltip's HTML with them.
 */
export function readPageDocument(): PageDocument {
  const html = readFileSync(fileURLToPath(new URL('./index.html', import.meta.url)), 'utf8');
  const importMap = IMPORT_MAP.exec(html)?.[1];
  if (importMap === undefined) throw new Error('ui/index.html has no import map');
  const hash = createHash('sha256').update(importMap, 'utf8').digest('base64');
  const contentSecurityPolicy = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
