// Two projects: `unit` (pure logic, no services) and `integration` (real Redis, Postgres and
// child processes). swc compiles TypeScript for jest; `npm run build` (tsc) type-checks first.
// The kubernetes-models packages (and the ESM-only packages their validator loads) ship only ES
// modules: swc turns them into CommonJS too, and test/support/esm-models-resolver.js finds them.
const ESM_ONLY = ['kubernetes-models', '@kubernetes-models', 'is-cidr', 'cidr-regex'];
const transform = {
  '^.+\\.ts$': ['@swc/jest'],
  [`/node_modules/(${ESM_ONLY.join('|')})/.+\\.js$`]: ['@swc/jest', { module: { type: 'commonjs' } }],
};
const transformIgnorePatterns = [`/node_modules/(?!(${ESM_ONLY.join('|')})/)`];
const resolver = '<rootDir>/test/support/esm-models-resolver.js';
// `@spillway/<lib>` imports, as tsconfig.json's `paths` states them; deploy/eks/esm-models.ts (Node's
// resolve hook, which jest refuses) becomes a no-op: the resolver above does its work here.
const moduleNameMapper = {
  ...require('./scripts/path-aliases.cjs').jestModuleNameMapper(),
  '^\\./esm-models$|^\\.\\./eks/esm-models$': '<rootDir>/test/support/empty-module.js',
};

// StrykerJS copies the repository into .stryker-tmp/ while it runs (npm run test:mutation).
const ignore = ['/node_modules/', '<rootDir>/.stryker-tmp/'];

module.exports = {
  testTimeout: 60_000,
  // Two workers on CI's two cores (jest's default there is one: every suite in band, ~1,400 s).
  // Most integration time is waiting on child processes, brokers and timers, so two suites side
  // by side roughly halve it; a suite that must run alone says so (suite-lock-environment.ts).
  maxWorkers: 2,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testPathIgnorePatterns: ignore,
      modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
      transform,
      transformIgnorePatterns,
      resolver,
      moduleNameMapper,
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/deploy/**/*.spec.ts', '<rootDir>/test/lint/*.spec.ts'],
    },
    {
      displayName: 'integration',
      // node's, holding a shared lock while a suite runs (an exclusive one for `@spillway-alone` suites).
      testEnvironment: '<rootDir>/test/support/suite-lock-environment.ts',
      testPathIgnorePatterns: ignore,
      modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/'],
      transform,
      transformIgnorePatterns,
      resolver,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
