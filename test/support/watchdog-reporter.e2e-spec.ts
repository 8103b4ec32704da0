import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURES = join(import.meta.dirname, 'watchdog-fixtures');

/** Runs jest on one fixture with the watchdog reporter and the given limits. */
function jestOn(fixture: string, env: Record<string, string>): Promise<{ code: number; ms: number; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'watchdog-'));
  const config = join(dir, 'jest.config.mjs');
  writeFileSync(
    config,
    `export default ${JSON.stringify({
      rootDir: FIXTURES,
      testMatch: [`**/${fixture}`],
      transform: {},
      reporters: ['default', join(import.meta.dirname, 'watchdog-reporter.mjs')],
    })};\n`,
  );
  const started = performance.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', config, '--runInBand'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--experimental-vm-modules', ...env }, timeout: 60_000 },
      (error, _stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, ms: performance.now() - started, stderr });
      },
    );
  });
}

describe('the jest watchdog (a stuck test ends the run, by name)', () => {
  it('names a test with no progress past its limit and ends the run with code 1', async () => {
    const run = await jestOn('stuck.fixture.mjs', { JEST_WATCHDOG_STUCK_MS: '1500' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/watchdog: stuck test, stopping the run:\n\s+\S*stuck\.fixture\.mjs › waits for ever — no progress for \d+ s/);
    expect(run.ms).toBeLessThan(45_000);
  }, 60_000);

  it('ends a jest that would not exit after the run, with the run\'s own result', async () => {
    const run = await jestOn('open-handle.fixture.mjs', { JEST_WATCHDOG_EXIT_MS: '1000' });
    expect(run.stderr).toContain('watchdog: jest had not exited 1 s after the run finished');
    expect(run.code).toBe(0);
  }, 60_000);
});
