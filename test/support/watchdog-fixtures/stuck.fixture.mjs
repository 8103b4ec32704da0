import { it } from '@jest/globals';

// Awaits for ever, under a per-test timeout far longer than the watchdog's limit in the self-test.
it('waits for ever', () => new Promise(() => {}), 600_000);
