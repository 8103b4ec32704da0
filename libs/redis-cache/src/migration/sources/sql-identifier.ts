import { MigrationConfigError } from '../migration.errors.js';

const PART = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * Validates and double-quotes a PostgreSQL identifier, optionally schema-qualified (`schema.table`).
 * Only plain identifiers are accepted (letters, digits, `_`, `$`; at most 63 bytes per part), so no
 * configured name can carry SQL; quoting keeps case and reserved words intact.
 *
 * @example quoteIdentifier('public.jobs') === '"public"."jobs"'
 * @throws MigrationConfigError for anything else.
 */
export function quoteIdentifier(name: string, options: { qualified?: boolean } = {}): string {
  const parts = name.split('.');
  if (parts.length > (options.qualified ? 2 : 1) || !parts.every((part) => PART.test(part))) {
    throw new MigrationConfigError(`invalid SQL identifier "${name}"`);
  }
  return parts.map((part) => `"${part}"`).join('.');
}
