import type { LoggerService } from '@nestjs/common';

/**
 * Records every log line of an app under test (so tests can assert what is, and is never, logged) and
 * stays quiet unless `E2E_LOGS=1`: Nest's lines as `LEVEL message`, and pino's JSON lines (Fastify's
 * logger writes here, see `write`).
 */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private readonly echo = process.env.E2E_LOGS === '1';

  private record(level: string, message: unknown, rest: unknown[]): void {
    const line = [level, String(message), ...rest.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)))].join(' ');
    this.lines.push(line);
    if (this.echo) process.stderr.write(`${line}\n`);
  }

  log(message: unknown, ...rest: unknown[]): void { this.record('LOG', message, rest); }
  error(message: unknown, ...rest: unknown[]): void { this.record('ERROR', message, rest); }
  warn(message: unknown, ...rest: unknown[]): void { this.record('WARN', message, rest); }
  debug(message: unknown, ...rest: unknown[]): void { this.record('DEBUG', message, rest); }
  verbose(message: unknown, ...rest: unknown[]): void { this.record('VERBOSE', message, rest); }
  fatal(message: unknown, ...rest: unknown[]): void { this.record('FATAL', message, rest); }

  /** As pino's destination: one JSON line per call (the access log, and Nest's lines through pino). */
  write(line: string): void {
    const text = line.trimEnd();
    this.lines.push(text);
    if (this.echo) process.stderr.write(`${text}\n`);
  }

  /** The JSON lines written through pino, parsed. */
  get jsonLines(): Array<Record<string, unknown>> {
    return this.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Everything logged so far, one string. */
  get text(): string {
    return this.lines.join('\n');
  }
}
