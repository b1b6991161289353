// The test environment of mutation runs: once a case fails, every remaining case of the run is
// skipped, in this suite and in the suites after it (their hooks still run, so apps and
// connections are closed). One failure kills the mutant; without this, every later case would
// still run, each integration case waiting out its own timeouts (20 s or more), and the mutant
// would cost Stryker's whole timeout. Survivors are unaffected: nothing fails, every case runs.
// Suites run in the module's list order (stryker/list-order-sequencer.cjs), fast ones first.
const { TestEnvironment } = require('jest-environment-node');

// Stryker runs jest in band, so every suite of a run is set up in this process, and each run
// (one per mutant) gets a globalConfig object of its own: the run that failed is remembered by it.
let failedRun;

class FailFastEnvironment extends TestEnvironment {
  #run;

  constructor(config, context) {
    super(config, context);
    this.#run = config.globalConfig;
  }

  async handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') failedRun = this.#run;
    // jest-circus checks `mode` right after `test_start`, so a case marked here is skipped.
    else if (event.name === 'test_start' && failedRun === this.#run) event.test.mode = 'skip';
  }
}

module.exports = FailFastEnvironment;
