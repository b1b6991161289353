// The end-to-end suites: slow, and they need a Docker engine, so `npm test` (the root config) does
// not run them; `npm run test:e2e` does. They are named *.e2e.ts so the root config never matches.
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  moduleNameMapper: require('../../scripts/path-aliases.cjs').jestModuleNameMapper(),
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
  testTimeout: 5 * 60_000,
};
