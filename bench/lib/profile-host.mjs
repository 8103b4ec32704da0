// Runs a server module (BENCH_PROFILE_TARGET) with the V8 sampling profiler on demand: the first SIGWINCH
// (a signal Nest's enableShutdownHooks does not listen to, unlike SIGUSR2)
// starts it (after start-up and warm-up, so neither pollutes the hot path), the second stops it and writes
// BENCH_PROFILE_OUT. --cpu-prof would profile start-up too, and only write on a clean exit, which a server
// stopped by a signal never has.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
let running = false;
process.on('SIGWINCH', () => {
  running = !running;
  if (running) {
    session.post('Profiler.start').catch((error) => process.stderr.write(`profile-host: ${error instanceof Error ? error.message : String(error)}\n`));
    return;
  }
  session.post('Profiler.stop').then(({ profile }) => writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(profile)),
    (error) => process.stderr.write(`profile-host: ${error instanceof Error ? error.message : String(error)}\n`));
});
await import(pathToFileURL(process.env.BENCH_PROFILE_TARGET).href);
