// Two projects: `unit` (pure logic, no services) and `integration` (real Redis, Postgres and
// child processes). swc (unplugin-swc, reading .swcrc) compiles TypeScript for Vitest with the
// decorator metadata Nest's injection needs (esbuild, Vite's default, emits none); `npm run build`
// (tsc) type-checks first. Packages in node_modules load through Node itself, so ESM-only ones
// (NestJS 12, kubernetes-models 5) need nothing here.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { shared } from './vitest.shared.mts';

// StrykerJS copies the repository into .stryker-tmp/ while it runs (npm run test:mutation).
const exclude = ['**/node_modules/**', '.stryker-tmp/**', 'dist/**'];

export default defineConfig({
  ...shared,
  test: {
    globals: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file runs in a fresh child process (forks), as suites that start servers, set
    // process.env or register Node hooks expect. Two at a time on CI's two cores: most integration
    // time is waiting on child processes, brokers and timers, so two side by side roughly halve it;
    // a suite that must run alone says so (test/support/suite-lock.ts).
    pool: 'forks',
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // One line per file, failures in full: the apps log at warn into a file per suite
    // (test/support/app-logs.ts), and a case's console output is printed only when it fails.
    reporters: ['default'],
    // A case is listed by name only when it fails or is this slow: one line per file otherwise.
    slowTestThreshold: 30_000,
    silent: 'passed-only',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'deploy/**/*.spec.ts', 'test/lint/*.spec.ts'],
          exclude,
          // CDK's "Bundling asset ..." progress lines off the run's output.
          setupFiles: ['test/support/quiet-bundling.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude,
          // Migrations once, the SQS emulator for the run; returns its teardown.
          globalSetup: ['test/support/global-setup.ts'],
          // The apps' logs into `.test-logs/<file>.log`; a shared lock per file, an exclusive one
          // for `@spillway-alone` files.
          setupFiles: ['test/support/app-logs.ts', 'test/support/suite-lock.ts'],
        },
      },
    ],
  },
});
