// StrykerJS over one delivery-critical module at a time (STRYKER_MODULE, see stryker/modules.mjs);
// run through `npm run test:mutation -- <module...>`. Not part of CI: see docs/testing.md.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MODULES } from './stryker/modules.mjs';

const name = process.env.STRYKER_MODULE;
const mod = MODULES[name];
if (!mod) throw new Error(`STRYKER_MODULE must be one of ${Object.keys(MODULES).join(', ')} (got ${name})`);
// Read by the sequencer in Stryker's test runner processes, which inherit this environment.
process.env.STRYKER_TEST_ORDER = JSON.stringify(mod.tests);

export default {
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    enableFindRelatedTests: false,
    config: {
      // node's, but a run stops at its first failing case (see the file): a killed mutant then
      // costs its first failure, not every later case's own timeout.
      testEnvironment: fileURLToPath(new URL('./stryker/fail-fast-environment.cjs', import.meta.url)),
      testSequencer: fileURLToPath(new URL('./stryker/list-order-sequencer.cjs', import.meta.url)),
      transform: { '^.+\\.ts$': ['@swc/jest'] },
      moduleNameMapper: createRequire(import.meta.url)('./scripts/path-aliases.cjs').jestModuleNameMapper(),
      testMatch: mod.tests,
      testTimeout: 60_000,
      ...(mod.integration
        ? { globalSetup: '<rootDir>/test/support/global-setup.ts', globalTeardown: '<rootDir>/test/support/global-teardown.ts' }
        : {}),
    },
  },
  mutate: mod.mutate,
  coverageAnalysis: 'perTest',
  // Two shared cores: one test process; integration tests share one Postgres database and Redis db.
  concurrency: 1,
  maxTestRunnerReuse: 0,
  timeoutMS: 30_000,
  timeoutFactor: 3,
  dryRunTimeoutMinutes: 15,
  ignoreStatic: true,
  incremental: true,
  incrementalFile: `stryker/incremental/${name}.json`,
  // One folder per module: runs of different modules can go side by side (each with its own
  // DATABASE_URL and REDIS_URL), and a finished run cleans only its own sandbox.
  tempDirName: `.stryker-tmp/${name}`,
  // dist/ is copied: cases that spawn a helper from the build (the contract's stalling consumer,
  // the CLI) run it unmutated beside the mutated code under test, as they do outside Stryker.
  // .stryker-tmp: other modules' sandboxes, when runs go side by side.
  ignorePatterns: ['bench/results', '.dev-data', 'docs', 'stryker/incremental', 'reports', '.stryker-tmp'],
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `docs/mutation/${name}.json` },
  htmlReporter: { fileName: `docs/mutation/${name}.html` },
  cleanTempDir: 'always',
};
