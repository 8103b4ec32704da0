import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';

const DECIMAL = /^[1-9][0-9]{0,15}$/;

/** Parses a job id as written in the path: a positive decimal ≤ 2^53−1 (no sign, leading zero, exponent, space). */
export function parseJobId(raw: unknown): number {
  if (typeof raw !== 'string' || !DECIMAL.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new BadRequestException('id must be a positive integer no larger than 9007199254740991');
  }
  return Number(raw);
}

/**
 * The `:id` path parameter as a job id, `400` otherwise. A param decorator rather than a pipe: the global
 * `ValidationPipe` (transform on) would first turn `1e3`, `01` or ` 1` into numbers for a `number` parameter,
 * and the pipe would never see what the client wrote.
 */
export const JobIdParam = createParamDecorator((_data: unknown, context: ExecutionContext): number =>
  parseJobId(context.switchToHttp().getRequest<{ params: Record<string, string | undefined> }>().params.id),
);
