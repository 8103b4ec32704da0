import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { JobsService } from './jobs.service.js';

// Without decorator metadata from the compiler, Nest injects `undefined` and nothing fails until a request:
// this guards the build configuration (decorator metadata emitted by the test transform and by tsc).
describe('JobsService wiring', () => {
  it('declares its constructor parameter types for injection', () => {
    const types = Reflect.getMetadata('design:paramtypes', JobsService) as unknown[];
    expect(types).toHaveLength(3);
    expect(types[1]).toBe(DataSource);
  });
});
