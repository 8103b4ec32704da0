// The claim "the linter refuses a silent catch", held: the repository's own ESLint config, run on snippets.
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: join(import.meta.dirname, '..') });

/** The `no-restricted-syntax` findings for `code` linted as a module of the library. */
async function silentCatches(code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath: 'libs/redis-cache/src/lint-probe.mjs' });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').length;
}

describe('the lint rule against silent catches', () => {
  it.each([
    ['catch (error) { void error; }', 'try { f(); } catch (error) { void error; }'],
    ['an empty catch, even with a comment', 'try { f(); } catch { /* ignored */ }'],
    ['.catch(() => undefined)', 'void p.catch(() => undefined);'],
    ['.catch(() => {})', 'void p.catch(() => {});'],
    ['.catch(() => null)', 'void p.catch(() => null);'],
  ])('refuses %s', async (_name, body) => {
    await expect(silentCatches(`export function g(f, p) { ${body} }`)).resolves.toBe(1);
  });

  it.each([
    ['a rethrow', 'try { f(); } catch (error) { throw new Error("wrapped", { cause: error }); }'],
    ['a translation into a value', 'try { return f(); } catch (error) { if (error instanceof URIError) return undefined; throw error; }'],
    ['ignoreError', 'return p.catch((error) => { ignoreError(error, "what", {}); return undefined; });'],
  ])('accepts %s', async (_name, body) => {
    await expect(silentCatches(`const ignoreError = () => undefined; export function g(f, p) { ${body} }`)).resolves.toBe(0);
  });
});
