// The test environment of mutation runs: once a case of a suite fails, the suite's remaining cases
// are skipped (their hooks still run, so apps and connections are closed). One failure kills the
// mutant; without this, every later case of an integration suite would wait out its own timeouts
// (20 s or more each) and the mutant would cost Stryker's whole timeout. Survivors are unaffected:
// nothing fails, every case runs.
const { TestEnvironment } = require('jest-environment-node');

class FailFastEnvironment extends TestEnvironment {
  #failed = false;

  async handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') this.#failed = true;
    // jest-circus checks `mode` right after `test_start`, so a case marked here is skipped.
    else if (event.name === 'test_start' && this.#failed) event.test.mode = 'skip';
  }
}

module.exports = FailFastEnvironment;
