// Runs a mutation run's suites in the order of its module's list (STRYKER_TEST_ORDER, set by
// stryker.config.mjs), not jest's slowest-first: with the fail-fast environment, a mutant the
// quick suites at the head of the list kill never waits for the slow ones.
const Sequencer = require('@jest/test-sequencer').default;

class ListOrderSequencer extends Sequencer {
  sort(tests) {
    const order = JSON.parse(process.env.STRYKER_TEST_ORDER ?? '[]').map((p) => p.replace('<rootDir>/', '/'));
    const rank = (test) => {
      const i = order.findIndex((suffix) => test.path.endsWith(suffix));
      return i < 0 ? order.length : i;
    };
    return [...tests].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = ListOrderSequencer;
