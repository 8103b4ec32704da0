import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';

const VERSION = /^(0|[1-9][0-9]{0,15})$/;

/** Parses a `Last-Event-ID` header: absent → `undefined`; a job version (what the stream sends as `id:`) → it. */
export function parseLastEventId(raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !VERSION.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new BadRequestException('Last-Event-ID must be the id of an event this stream sent (a job version: a non-negative integer)');
  }
  return Number(raw);
}

/** The `Last-Event-ID` request header as a job version (`400` for anything else): where a resumed stream starts after. */
export const LastEventId = createParamDecorator((_data: unknown, context: ExecutionContext): number | undefined =>
  parseLastEventId(context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>().headers['last-event-id']),
);
