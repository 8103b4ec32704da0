// Jest runs the TypeScript sources as native ES modules (NestJS 12 is ESM-only).
// Type errors are not reported here: `npm run typecheck` is its own step of `npm test`.
// ts-jest in ESM mode with isolatedModules (transpile only: fast, and decorator metadata is emitted).
// @swc/jest was faster still, but its native platform packages are not all on the registry we install from,
// so a lockfile made here would break `npm ci` on other platforms.
const tsJest = ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }];

const shared = {
  rootDir: import.meta.dirname,
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': tsJest },
  moduleNameMapper: {
    '^@app/redis-cache$': '<rootDir>/libs/redis-cache/src/index.ts',
    '^@app/redis-cache/migration$': '<rootDir>/libs/redis-cache/src/migration/index.ts',
    '^@app/redis-cache/(health|typeorm|cache-manager|metrics)$': '<rootDir>/libs/redis-cache/src/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};

export default {
  // A global option: jest ignores testTimeout inside a project's config.
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
