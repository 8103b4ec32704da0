/**
 * Runs `tick` again and again, `everyMs` apart, until `stop()`; `stop()` waits for the tick in progress and
 * rethrows the error that ended the loop early, if one did (never an unhandled rejection meanwhile).
 */
export function backgroundLoop(tick: () => Promise<void>, everyMs: number): { stop: () => Promise<void> } {
  let running = true;
  let failure: unknown;
  const loop = (async () => {
    while (running) {
      await tick();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })().catch((error: unknown) => {
    failure = error;
  });
  return {
    stop: async () => {
      running = false;
      await loop;
      if (failure !== undefined) throw failure as Error;
    },
  };
}
