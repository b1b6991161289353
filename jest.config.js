// Two projects: `unit` (pure logic, no services) and `integration` (real Redis, Postgres and
// child processes). swc compiles TypeScript for jest; `npm run build` (tsc) type-checks first.
const transform = { '^.+\\.ts$': ['@swc/jest'] };
// `@spillway/<lib>` imports, as tsconfig.json's `paths` states them.
const moduleNameMapper = require('./scripts/path-aliases.cjs').jestModuleNameMapper();

// StrykerJS copies the repository into .stryker-tmp/ while it runs (npm run test:mutation).
const ignore = ['/node_modules/', '<rootDir>/.stryker-tmp/'];

module.exports = {
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testPathIgnorePatterns: ignore,
      modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/deploy/**/*.spec.ts', '<rootDir>/test/lint/*.spec.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      testPathIgnorePatterns: ignore,
      modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
