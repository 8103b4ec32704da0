import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { redactSecretsIn } from '../config/redact-url.util.js';
import { toErrorResponse } from './error-body.js';

/**
 * One error shape for every route. Client mistakes keep their 4xx; an unavailable database, or an update the
 * cache refused, is a logged `503` with `Retry-After`; anything else is a logged `500`. Neither body reveals internals. Real server faults are never downgraded to 4xx.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly secrets: readonly (string | undefined)[]) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, retryAfterSeconds } = toErrorResponse(exception);
    if (status >= 500 && !(exception instanceof HttpException)) {
      const error = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(redactSecretsIn(error.message, this.secrets), redactSecretsIn(error.stack ?? '', this.secrets));
    }
    if (reply.sent) return;
    if (retryAfterSeconds !== undefined) void reply.header('Retry-After', String(retryAfterSeconds));
    void reply.code(status).send(body);
  }
}
