import { pino } from 'pino';
import { ConfigValidationError } from '../config/config-validation.error.js';

/** Codes of the errors an operator causes and fixes (bad config, taken port, locked folder): no stack. */
const OPERATOR_ERRORS: ReadonlySet<unknown> = new Set(['CONFIG_INVALID', 'PORT_IN_USE', 'DATA_DIR_LOCKED']);

/**
 * Says why the service did not start, on stderr: one JSON line in production (log pipelines parse it), plain
 * text elsewhere. An operator's problem is its message alone; anything else keeps its stack: it is a bug.
 */
export function reportStartupFailure(error: unknown, json: boolean): void {
  const code = (error as { code?: unknown } | null)?.code;
  const operator = OPERATOR_ERRORS.has(code) && error instanceof Error;
  const problems = error instanceof ConfigValidationError ? error.problems : undefined;
  if (!json) {
    process.stderr.write(`${operator ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return;
  }
  const logger = pino({ base: { service: 'jobs-api' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 2, sync: true }));
  if (problems !== undefined) logger.fatal({ code, problems }, 'Invalid configuration');
  else if (operator) logger.fatal({ code }, error.message);
  else logger.fatal({ err: error }, error instanceof Error ? error.message : String(error));
}
