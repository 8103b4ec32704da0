#!/usr/bin/env node
// `npm run cache:migrate -- --namespace <ns> --from <legacy> [--dry-run] [--rate n] …` (see --help).
// Runs on plain Node 20 against the compiled library (`npm run build` first). CACHE_MIGRATE_LIBRARY may
// point at another build of `libs/redis-cache/src/migration/index.js` (the e2e tests use one).
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const entry = process.env.CACHE_MIGRATE_LIBRARY
  ?? new URL('../dist/libs/redis-cache/src/migration/index.js', import.meta.url).pathname;
if (!existsSync(entry)) {
  process.stderr.write(`cache:migrate: ${entry} not found; run npm run build first\n`);
  process.exit(1);
}
const { runCacheMigrateCli } = await import(pathToFileURL(entry).href);

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\ncache:migrate: ${signal}: stopping after the current chunk (run again to resume)\n`);
    controller.abort();
  });
}
process.exitCode = await runCacheMigrateCli(process.argv.slice(2), {
  stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), signal: controller.signal,
});
