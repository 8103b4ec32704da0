import { describe, expect, it } from '@jest/globals';
import { parseMigrationPhases } from './migration-phase.js';
import { MigrationConfigError } from './migration.errors.js';

describe('parseMigrationPhases', () => {
  it('reads namespace=phase pairs, ignoring blanks', () => {
    expect(parseMigrationPhases(' job=dual-write , report:daily=only,,')).toEqual({ job: 'dual-write', 'report:daily': 'only' });
    expect(parseMigrationPhases(undefined)).toEqual({});
  });

  it('lists every bad entry in one error with a stable code', () => {
    let caught: unknown;
    try {
      parseMigrationPhases('job=primaryy,a*b=only,job2,x=only,x=primary');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MigrationConfigError);
    const error = caught as MigrationConfigError;
    expect(error.code).toBe('E_CACHE_MIGRATION_CONFIG');
    for (const part of ['"job=primaryy"', '"a*b=only"', '"job2"', '"x=primary": namespace given twice']) expect(error.message).toContain(part);
  });
});
