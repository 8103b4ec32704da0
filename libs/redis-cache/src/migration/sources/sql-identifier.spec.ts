import { describe, expect, it } from '@jest/globals';
import { MigrationConfigError } from '../migration.errors.js';
import { quoteIdentifier } from './sql-identifier.js';

describe('quoteIdentifier', () => {
  it('quotes plain and schema-qualified names', () => {
    expect(quoteIdentifier('job_progress_cache')).toBe('"job_progress_cache"');
    expect(quoteIdentifier('public.Jobs', { qualified: true })).toBe('"public"."Jobs"');
  });

  it.each(['', 'a b', 'a"b', 'x;drop', '1abc', 'a.b', 'a'.repeat(64), 'é'])('refuses %j', (name) => {
    expect(() => quoteIdentifier(name)).toThrow(MigrationConfigError);
  });

  it('refuses more than schema.table', () => {
    expect(() => quoteIdentifier('a.b.c', { qualified: true })).toThrow(MigrationConfigError);
  });
});
