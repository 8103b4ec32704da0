// A jest reporter that keeps a stuck test from hanging the run. Jest's own per-test timeout fails a test
// that awaits too long, by name; it cannot help when a worker is blocked, a hook never returns past its
// timeout, or jest itself never exits (an open handle; issue 13 saw an `npm test` hang past 10 minutes after
// one failed test). This reporter runs in jest's main process and, on a timer:
// - names any test (or test file, when it sits in a hook) with no progress for JEST_WATCHDOG_STUCK_MS
//   (default 5 min, above every short-variant test's own timeout; `npm run test:chaos`, whose long cases
//   may take 400 s, sets 15 min), and ends the run with exit code 1;
// - ends a run that has taken more than JEST_WATCHDOG_RUN_MS (default 45 min: `npm test` takes about 7 here,
//   CI allows 90; `npm run test:chaos` sets 2 h), naming what still runs;
// - ends jest JEST_WATCHDOG_EXIT_MS (default 30 s) after the run finished if something keeps it alive,
//   with the run's own result.
// test/support/watchdog-reporter.e2e-spec.ts runs jest on fixtures that hang each way.

const ms = (name, fallback) => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};

export default class WatchdogReporter {
  constructor() {
    this.stuckMs = ms('JEST_WATCHDOG_STUCK_MS', 5 * 60_000);
    this.runMs = ms('JEST_WATCHDOG_RUN_MS', 45 * 60_000);
    this.exitMs = ms('JEST_WATCHDOG_EXIT_MS', 30_000);
    /** Running files: path → { since, current test name or undefined (in a hook) }. */
    this.files = new Map();
  }

  onRunStart() {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.check(), Math.min(5_000, this.stuckMs / 2));
    this.timer.unref();
  }

  onTestFileStart(test) {
    this.files.set(test.path, { since: Date.now(), current: undefined });
  }

  onTestCaseStart(test, info) {
    this.files.set(test.path, { since: Date.now(), current: info.fullName });
  }

  onTestCaseResult(test) {
    this.files.set(test.path, { since: Date.now(), current: undefined });
  }

  onTestFileResult(test) {
    this.files.delete(test.path);
  }

  check() {
    const now = Date.now();
    const running = [...this.files].map(([path, { since, current }]) => ({ path, current, idleMs: now - since }));
    const describe = (r) => `${r.path.replace(`${process.cwd()}/`, '')} › ${r.current ?? '(in beforeAll/afterAll, between tests)'} — no progress for ${Math.round(r.idleMs / 1000)} s`;
    const stuck = running.filter((r) => r.idleMs > this.stuckMs);
    if (stuck.length > 0) this.stop(`watchdog: stuck test, stopping the run:\n${stuck.map((r) => `  ${describe(r)}`).join('\n')}`, 1);
    else if (now - this.startedAt > this.runMs) this.stop(`watchdog: the run took over ${Math.round(this.runMs / 60_000)} min, stopping it; still running:\n${running.map((r) => `  ${describe(r)}`).join('\n')}`, 1);
  }

  onRunComplete(_contexts, results) {
    clearInterval(this.timer);
    // `results.success` is filled in only after the reporters ran.
    const code = results.numFailedTests === 0 && results.numFailedTestSuites === 0 && results.numRuntimeErrorTestSuites === 0 ? 0 : 1;
    setTimeout(
      () => this.stop(`watchdog: jest had not exited ${Math.round(this.exitMs / 1000)} s after the run finished: something keeps it alive (an open handle; run the suspect file with --detectOpenHandles). Exiting with the run's result.`, code),
      this.exitMs,
    ).unref();
  }

  stop(message, code) {
    process.stderr.write(`\n${message}\n`);
    process.exit(code);
  }
}
