import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from 'pino';
import { currentRequestLogger } from './request-context.js';

type PinoMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const METHOD: Record<LogLevel, PinoMethod> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

/**
 * Nest's `LoggerService` over pino: `new Logger('Context').warn(…)` anywhere in the app becomes one JSON line
 * with `context`, and — inside a request — the request's `reqId` (see `registerRequestContext`).
 * Nest passes the context as the last string argument, and `error()` a stack before it.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  log(message: unknown, ...rest: unknown[]): void { this.write('log', message, rest); }
  error(message: unknown, ...rest: unknown[]): void { this.write('error', message, rest); }
  warn(message: unknown, ...rest: unknown[]): void { this.write('warn', message, rest); }
  debug(message: unknown, ...rest: unknown[]): void { this.write('debug', message, rest); }
  verbose(message: unknown, ...rest: unknown[]): void { this.write('verbose', message, rest); }
  fatal(message: unknown, ...rest: unknown[]): void { this.write('fatal', message, rest); }

  private write(level: LogLevel, message: unknown, rest: unknown[]): void {
    const logger = currentRequestLogger() ?? this.root;
    const method = METHOD[level];
    if (!logger.isLevelEnabled(method)) return;
    const params = rest.filter((param) => param !== undefined);
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = { context };
    if (level === 'error' && typeof params[0] === 'string') fields.stack = params.shift();
    if (params.length > 0) fields.details = params;
    if (message instanceof Error) logger[method]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) logger[method]({ ...fields, ...message });
    else logger[method](fields, String(message));
  }
}
