import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ListeningApp, startListeningApp } from './support/listening-app.js';

const README = readFileSync(resolve(import.meta.dirname, '..', 'README.md'), 'utf8');

/** The first ```bash block after `heading`, as printed. */
function bashBlockAfter(heading: string): string {
  const section = README.slice(README.indexOf(heading));
  const match = /```bash\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error(`no bash block after ${heading}`);
  return match[1];
}

/** Issue 13: the README's curl examples run as printed (BASE, the id and the ETag taken from earlier answers). */
describe('README examples', () => {
  let h: ListeningApp;

  beforeAll(async () => {
    h = await startListeningApp({
      auth: false,
      env: { ADMIN_TOKEN: 'admin-token-0123456789', AUTH_TOKENS: 'client-token-0123456789:acme' },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('"The API" block runs with bash, every step answered as its comment says', async () => {
    const script = `set -euo pipefail\n${bashBlockAfter('## The API')}`;
    // Asynchronously: the app answers from this process's event loop.
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((done) => {
      execFile('bash', ['--norc', '--noprofile', '-c', script], { env: { PATH: process.env.PATH ?? '', BASE: h.baseUrl }, timeout: 30_000 }, (error, stdout, stderr) =>
        done({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr }),
      );
    });
    expect([run.status, run.stderr]).toEqual([0, '']);
    // A status line may follow a body printed without a newline.
    const statuses = [...run.stdout.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    // poll, revalidation with the previous ETag, delete
    expect(statuses).toEqual([200, 304, 204]);
    expect(run.stdout).toMatch(/^x-cache: (HIT|MISS)\r?$/im);
    expect(run.stdout).toMatch(/^etag: "v1-[A-Za-z0-9_-]+"\r?$/im);
    expect(run.stdout).toContain('"status":"running","progress":{"currentStage":"rendering","scenesCompleted":3');
    expect(run.stdout).toMatch(/"ready":true/);
  });
});
