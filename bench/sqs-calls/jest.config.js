// Benchmarks: not part of `npm test` (they report figures, they do not judge them). Same services
// as the integration suites: shared Postgres, fauxqs started by the global setup.
module.exports = {
  rootDir: '../..',
  testTimeout: 600_000,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: require('../../scripts/path-aliases.cjs').jestModuleNameMapper(),
  testMatch: ['<rootDir>/bench/sqs-calls/**/*.bench.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
