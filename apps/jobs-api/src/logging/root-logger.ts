import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config.types.js';

/** Nest's level names (`LOG_LEVEL`) as pino levels: `log` is pino's `info`, `verbose` its `trace`. */
const PINO_LEVEL: Record<AppConfig['logLevel'], Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Request headers that carry credentials: replaced by `[Redacted]` wherever a log line holds them. */
export const REDACTED_HEADERS = ['authorization', 'cookie', 'proxy-authorization'] as const;

/**
 * The service's one pino logger: Fastify logs requests through it and Nest's `Logger` writes to it (see
 * {@link PinoNestLogger}), so every line is one JSON object on stdout (or `destination`, in tests).
 */
export function createRootLogger(config: Pick<AppConfig, 'logLevel'>, destination?: DestinationStream): Logger {
  const options = {
    level: PINO_LEVEL[config.logLevel],
    base: { service: 'jobs-api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_HEADERS.map((header) => `request.headers["${header}"]`), censor: '[Redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
