// The end-to-end suites: slow, and they need a Docker engine, so `npm test` (the root config) does
// not run them; `npm run test:e2e` does. They are named *.e2e.ts so the root config never matches.
import { defineConfig } from 'vitest/config';
import { shared } from '../../vitest.shared.mts';

export default defineConfig({
  ...shared,
  test: {
    globals: true,
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 5 * 60_000,
    hookTimeout: 5 * 60_000,
    // One file at a time (jest's --runInBand): the suites share one Docker engine and its ports.
    fileParallelism: false,
    pool: 'forks',
    silent: 'passed-only',
  },
});
