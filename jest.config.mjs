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
    '^nestjs-tiered-cache$': '<rootDir>/libs/redis-cache/src/index.ts',
    '^nestjs-tiered-cache/migration$': '<rootDir>/libs/redis-cache/src/migration/index.ts',
    '^nestjs-tiered-cache/(health|typeorm|cache-manager|metrics|engine)$': '<rootDir>/libs/redis-cache/src/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};

export default {
  // A global option: jest ignores testTimeout inside a project's config.
  testTimeout: 60_000,
  // Names a stuck test and ends the run instead of letting it hang (see the file).
  reporters: ['default', '<rootDir>/test/support/watchdog-reporter.mjs'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      // test/support: the fault suite's own pure helpers (its history checker) have unit specs too.
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/test/support/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
