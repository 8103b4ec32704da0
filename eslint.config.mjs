// Type-aware lint: the rules that catch what tests miss in async cache code (floating promises,
// misused promises, unsafe `any` leaking out of JSON.parse).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The shapes of a swallowed error: `catch (e) { void e; }`, an empty catch (comments do not count), `.catch(() => {})`. */
const SILENT_CATCHES = [
  {
    selector: "CatchClause > BlockStatement > ExpressionStatement > UnaryExpression[operator='void']",
    message: 'A silent catch (`void error`): use ignoreError(error, what, { stats, logger }), log it, or rethrow.',
  },
  {
    selector: 'CatchClause > BlockStatement[body.length=0]',
    message: 'An empty catch swallows the error: use ignoreError(error, what, { stats, logger }), log it, or rethrow.',
  },
  {
    selector: "CallExpression[callee.property.name='catch'] > ArrowFunctionExpression:matches([body.type='BlockStatement'][body.body.length=0], [body.type='Identifier'][body.name='undefined'], [body.type='Literal'][body.value=null])",
    message: 'A promise error swallowed (`.catch(() => undefined)`): use ignoreError(error, what, { stats, logger }), log it, or rethrow.',
  },
];

export default tseslint.config(
  // examples/ are apps of their own: their dependencies are installed only by test/package-examples.e2e-spec.ts,
  // which type-checks (strict) and runs them against the packed library. test/.readme-guide/ is written by
  // test/nest-readme-snippets.e2e-spec.ts from the README's code blocks (type-checked there).
  { ignores: ['dist/**', '**/dist/**', 'node_modules/**', 'coverage/**', 'data/**', 'bench/results/**', 'examples/**', 'test/.readme-guide/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.mjs', 'bench/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // No silent error in the library or the service: an error deliberately not propagated goes through
    // ignoreError() (engine/ignored-error.ts), which counts it and debug-logs what was ignored, or is logged, or
    // is translated into a value on purpose. (Tests and scripts may drop a cleanup's failure.)
    files: ['libs/**', 'apps/**'],
    rules: { 'no-restricted-syntax': ['error', ...SILENT_CATCHES] },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs'], languageOptions: { globals: globals.node } },
  // The page's browser modules: plain JS, type-checked by apps/jobs-api/src/ui/tsconfig.page.json.
  { files: ['apps/jobs-api/src/ui/public/**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['apps/jobs-api/src/ui/public/**/*.js'], languageOptions: { globals: globals.browser } },
);
