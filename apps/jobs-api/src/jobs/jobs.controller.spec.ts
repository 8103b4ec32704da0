import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';

// Without decorator metadata from the compiler, Nest injects `undefined` and nothing fails until a request:
// this guards the build configuration (decorator metadata emitted by the test transform and by tsc).
describe('JobsController wiring', () => {
  it('declares its constructor parameter types for injection', () => {
    expect(Reflect.getMetadata('design:paramtypes', JobsController)).toEqual([JobsService]);
  });
});
