import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { JsonObjectBodyPipe } from './json-object-body.pipe.js';

describe('JsonObjectBodyPipe', () => {
  const pipe = new JsonObjectBodyPipe();
  const body = { type: 'body' as const };

  it.each([null, 'str', 5, true, [1, 2]])('refuses the body %p', (value) => {
    expect(() => pipe.transform(value, body)).toThrow(BadRequestException);
  });

  it('passes objects and a missing body, and leaves other parameters alone', () => {
    expect(pipe.transform({ a: 1 }, body)).toEqual({ a: 1 });
    expect(pipe.transform(undefined, body)).toBeUndefined();
    expect(pipe.transform(null, { type: 'query' })).toBeNull();
  });
});
