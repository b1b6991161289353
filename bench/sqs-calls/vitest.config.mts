// Benchmarks: not part of `npm test` (they report figures, they do not judge them). Same services
// as the integration suites: shared Postgres, fauxqs started by the global setup.
import { defineConfig } from 'vitest/config';
import { shared } from '../../vitest.shared.mts';

export default defineConfig({
  ...shared,
  test: {
    globals: true,
    include: ['bench/sqs-calls/**/*.bench.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    fileParallelism: false,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
  },
});
