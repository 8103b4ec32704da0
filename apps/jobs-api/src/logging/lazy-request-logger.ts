import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

/**
 * A request's logger that becomes pino's child (the request id bound) only when it writes its first line.
 * Fastify builds one logger per request; a warm poll answered from the cache writes no line at the levels
 * an operator runs in production (its access line is `info`), and pino's `child()` serialises the bindings
 * up front — measured at 2.6 % of a warm poll's CPU (`bench/hot-path.mjs --http --profile`). Levels
 * are the root's (Fastify passes a level only for a route with its own `logLevel`, and then gets an eager
 * child, see {@link requestChildLogger}), so `isLevelEnabled` and a line below the level never build it.
 */
export class LazyRequestLogger {
  private built?: Logger;

  constructor(
    private readonly root: Logger,
    private readonly bindingsOfRequest: Bindings,
  ) {}

  get level(): string {
    return this.root.level;
  }

  isLevelEnabled(level: string): boolean {
    return this.root.isLevelEnabled(level);
  }

  bindings(): Bindings {
    return { ...this.root.bindings(), ...this.bindingsOfRequest };
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.real().child(bindings, options);
  }

  fatal(...args: unknown[]): void { this.write('fatal', args); }
  error(...args: unknown[]): void { this.write('error', args); }
  warn(...args: unknown[]): void { this.write('warn', args); }
  info(...args: unknown[]): void { this.write('info', args); }
  debug(...args: unknown[]): void { this.write('debug', args); }
  trace(...args: unknown[]): void { this.write('trace', args); }
  /** pino's `silent` level writes nothing. */
  silent(): void {
    return undefined;
  }

  private write(level: Level, args: unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    const child = this.real();
    Reflect.apply(child[level], child, args);
  }

  private real(): Logger {
    this.built ??= this.root.child(this.bindingsOfRequest);
    return this.built;
  }
}

/**
 * Fastify's `childLoggerFactory`: a {@link LazyRequestLogger}, or pino's own child when the route asks for
 * its own level or serializers.
 */
export const requestChildLogger: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions) => {
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  // The adapter's logger is the root pino logger (see `createFastifyAdapter`).
  return new LazyRequestLogger(logger as Logger, bindings);
};
