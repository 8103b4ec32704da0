/** Start-up refused: the environment has one or more problems, all listed (never with their values). */
export class ConfigValidationError extends Error {
  readonly code = 'CONFIG_INVALID';

  constructor(readonly problems: readonly string[], options?: { cause?: unknown }) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
    this.name = 'ConfigValidationError';
    // An operator's problem, not a bug: the list is the message, a stack would only bury it.
    this.stack = this.message;
  }
}
