import { describe, expect, it } from '@jest/globals';
import { NotFoundException } from '@nestjs/common';
import { CacheWriteRefusedError } from 'nestjs-tiered-cache';
import { toErrorResponse } from './error-body.js';

describe('toErrorResponse', () => {
  it('answers an update the cache refused with 503 and the cache\'s Retry-After', () => {
    const answer = toErrorResponse(new CacheWriteRefusedError('cut off past the write window', 7));
    expect(answer).toMatchObject({ status: 503, retryAfterSeconds: 7, body: { statusCode: 503, error: 'Service Unavailable' } });
    expect((answer.body as { message: string }).message).toMatch(/nothing was changed/);
  });

  it('answers an unavailable database with 503 and Retry-After 1', () => {
    expect(toErrorResponse(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({ status: 503, retryAfterSeconds: 1 });
  });

  it('keeps an HttpException\'s status and body, and hides an unknown error behind a 500, neither with Retry-After', () => {
    expect(toErrorResponse(new NotFoundException('Job 1 not found'))).toEqual({
      status: 404, body: { statusCode: 404, error: 'Not Found', message: 'Job 1 not found' },
    });
    expect(toErrorResponse(new Error('SELECT secret FROM internals'))).toEqual({
      status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' },
    });
  });
});
