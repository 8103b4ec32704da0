import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CacheEngine } from '../../engine/cache-engine.js';
import { FileCheckpointStore } from '../copy/copy-checkpoint.js';
import { copyLegacyEntries } from '../copy/legacy-copier.js';
import { MigrationConfigError } from '../migration.errors.js';
import { openLegacySource } from './legacy-spec.js';
import { ProgressLine } from './progress-line.js';

/** Streams and settings of one CLI run (injectable for tests). */
export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM by the script: the copy stops after the chunk in flight. */
  signal?: AbortSignal;
}

/** The `--help` text. */
export const CACHE_MIGRATE_USAGE = `Usage: npm run cache:migrate -- --namespace <ns> --from <legacy> [options]

Copies the live entries of a legacy cache into our Redis tier with their remaining TTL.

  --namespace <ns>       our namespace (keys become <prefix><ns>:<legacy key>)
  --from <legacy>        postgres://user@host/db?table=t&key=id&value=col[&expires=col][&mode=rows|column]
                         keyv+redis://host:6379[/db][?namespace=ns]
                         module:./my-source.mjs (default export returns a LegacySource)
  --redis-url <url>      our Redis (default $REDIS_URL, else redis://127.0.0.1:6379)
  --key-prefix <p>       our key prefix, as the app's CACHE_PREFIX (default $CACHE_PREFIX, else jobs-api:)
  --ttl <s>              TTL for entries without an expiry (default 300)
  --version-field <f>    top-level numeric field of the value used as its version (versioned writes)
  --strip-prefix <p>     remove this prefix from legacy keys to get our ids (e.g. job:)
  --batch <n>            entries per batch and per checkpoint (default 500)
  --rate <n>             at most n entries per second (default unlimited)
  --concurrency <n>      writes in flight (default 64)
  --checkpoint <file>    resume file (default .cache-migrate/<ns>.checkpoint.json)
  --restart              ignore the checkpoint and start from the top
  --dry-run              read and count, write nothing
Exit codes: 0 completed, 1 error, 2 interrupted or Redis lost (run again to resume).`;

/**
 * Runs `cache:migrate`: parses `argv`, opens the legacy store and our Redis, copies with a progress line
 * on stderr, prints the counts (a human line on stderr, one JSON line on stdout), and resolves the exit code.
 */
export async function runCacheMigrateCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv, ctx.env);
  } catch (error) {
    ctx.stderr.write(`${(error as Error).message}\n\n${CACHE_MIGRATE_USAGE}\n`);
    return 1;
  }
  if (!parsed) {
    ctx.stdout.write(`${CACHE_MIGRATE_USAGE}\n`);
    return 0;
  }
  const args = parsed;
  const { namespace } = args;
  const opened = await openLegacySource(args.from, ctx.cwd).catch((error: unknown) => error as Error);
  if (opened instanceof Error) {
    ctx.stderr.write(`cache:migrate: ${opened.message}\n`);
    return 1;
  }
  const logger = { log: () => undefined, warn: (m: string) => ctx.stderr.write(`\n${m}\n`), error: (m: string) => ctx.stderr.write(`\n${m}\n`) };
  const engine = new CacheEngine({
    redisUrl: args.redisUrl, keyPrefix: args.keyPrefix, commandTimeoutMs: 2000, connectTimeoutMs: 5000,
    // A one-shot writer: no in-process tier to fill, no bus to wait on, no membership (its exit or a crash
    // must cost the running instances nothing; a copy Redis did not take is counted as failed).
    l1: { enabled: false }, bus: { enabled: false, observer: true }, logger,
  });
  const progress = new ProgressLine(ctx.stderr);
  let peakExternal = externalMemory();
  try {
    await engine.connect();
    if (!engine.isRedisAvailable()) {
      ctx.stderr.write('cache:migrate: our Redis is not reachable\n');
      return 1;
    }
    const field = args.versionField;
    const strip = args.stripPrefix;
    ctx.stderr.write(`cache:migrate: ${opened.source.description} → ${args.keyPrefix}${namespace}:*${args.dryRun ? ' (dry run: nothing is written)' : ''}\n`);
    const result = await copyLegacyEntries({
      source: opened.source, cache: engine, namespace, defaultTtlSeconds: args.ttl, batchSize: args.batch,
      ratePerSecond: args.rate, concurrency: args.concurrency, dryRun: args.dryRun, restart: args.restart, signal: ctx.signal,
      checkpoint: new FileCheckpointStore(args.checkpoint ?? join(ctx.cwd, '.cache-migrate', `${namespace}.checkpoint.json`)),
      idOf: strip ? (key) => (key.startsWith(strip) ? key.slice(strip.length) : key) : undefined,
      version: field ? (value) => versionField(value, field) : undefined,
      onProgress: (p) => {
        progress.update(p);
        peakExternal = Math.max(peakExternal, externalMemory());
      }, logger,
    });
    progress.end();
    const resumed = result.resumedFrom !== undefined ? ` (resumed after ${result.resumedFrom})` : '';
    ctx.stderr.write(`cache:migrate: ${result.status}${resumed}: copied ${result.copied}, skipped as expired ${result.skippedExpired}, `
      + `already present ${result.skippedPresent}, failed ${result.failed} of ${result.scanned} in ${(result.durationMs / 1000).toFixed(1)} s\n`);
    peakExternal = Math.max(peakExternal, externalMemory());
    ctx.stdout.write(`${JSON.stringify({ ...result, maxExternalBytes: peakExternal, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
    return result.status === 'completed' ? 0 : 2;
  } catch (error) {
    progress.end();
    ctx.stderr.write(`cache:migrate: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await engine.close();
    await opened.close();
  }
}

function parse(argv: readonly string[], env: CliContext['env']) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      namespace: { type: 'string' }, from: { type: 'string' }, 'redis-url': { type: 'string' }, 'key-prefix': { type: 'string' },
      ttl: { type: 'string' }, 'version-field': { type: 'string' }, 'strip-prefix': { type: 'string' }, batch: { type: 'string' },
      rate: { type: 'string' }, concurrency: { type: 'string' }, checkpoint: { type: 'string' }, restart: { type: 'boolean' },
      'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const positive = (name: string, fallback?: number): number | undefined => {
    const raw = values[name as keyof typeof values] as string | undefined;
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new MigrationConfigError(`--${name} must be a positive number`);
    return n;
  };
  if (values.help) return undefined;
  {
    if (!values.namespace) throw new MigrationConfigError('--namespace is required');
    if (!values.from) throw new MigrationConfigError('--from is required');
    return {
      namespace: values.namespace,
      from: values.from,
      redisUrl: values['redis-url'] ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      keyPrefix: values['key-prefix'] ?? env.CACHE_PREFIX ?? 'jobs-api:',
      ttl: positive('ttl', 300)!,
      batch: Math.floor(positive('batch', 500)!),
      rate: positive('rate'),
      concurrency: Math.floor(positive('concurrency', 64)!),
      versionField: values['version-field'],
      stripPrefix: values['strip-prefix'],
      checkpoint: values.checkpoint,
      restart: values.restart === true,
      dryRun: values['dry-run'] === true,
    };
  }
}

function versionField(value: unknown, field: string): number | undefined {
  const v = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[field] : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Memory the copy holds outside the JS heap now (buffers: values read from the source, commands waiting to go
 * to Redis). The heap is bounded by Node's own flag; this part is not. Unlike RSS it leaves out what the
 * allocator keeps after a collection, which grows with the machine's load rather than with what is held.
 */
function externalMemory(): number {
  return process.memoryUsage().external;
}
