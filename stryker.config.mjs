// StrykerJS over one delivery-critical module at a time (STRYKER_MODULE, see stryker/modules.mjs);
// run through `npm run test:mutation -- <module...>`. Not part of CI: see docs/testing.md.
import { MODULES } from './stryker/modules.mjs';

const name = process.env.STRYKER_MODULE;
const mod = MODULES[name];
if (!mod) throw new Error(`STRYKER_MODULE must be one of ${Object.keys(MODULES).join(', ')} (got ${name})`);

export default {
  // stryker/vitest.config.mts reads STRYKER_MODULE too (Stryker's test runner processes inherit
  // it): the module's suites in list order; the runner stops a run at its first failing case.
  testRunner: 'vitest',
  vitest: {
    configFile: 'stryker/vitest.config.mts',
    // The module's own list, not the files Vite's module graph relates to the mutated one.
    related: false,
    // A child process, as in `npm test`: suites that start servers or set process.env stay apart.
    pool: 'forks',
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
