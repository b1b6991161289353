// The Vitest config of mutation runs (stryker.config.mjs): the module's suites only, in the order
// of its list (stryker/modules.mjs), quick ones first. Stryker's vitest runner sets `bail: 1`, so a
// run stops at its first failing case: a killed mutant costs its first failure, not every later
// case waiting out its own timeout; survivors run every case.
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { shared } from '../vitest.shared.mts';
import { MODULES } from './modules.mjs';

const mod = MODULES[process.env.STRYKER_MODULE as keyof typeof MODULES];
if (!mod) throw new Error(`STRYKER_MODULE must be one of ${Object.keys(MODULES).join(', ')} (got ${process.env.STRYKER_MODULE})`);

/** The module's list order, not Vitest's (slowest-first, from its cache). */
class ListOrder extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const i = mod.tests.findIndex((path) => file.moduleId.endsWith(`/${path}`));
      return i < 0 ? mod.tests.length : i;
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  ...shared,
  test: {
    globals: true,
    include: mod.tests,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    silent: true,
    sequence: { sequencer: ListOrder },
    globalSetup: mod.integration ? ['test/support/global-setup.ts'] : [],
  },
});
