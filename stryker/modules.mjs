// The delivery-critical modules StrykerJS mutates, each with ONLY the tests that exercise it
// in-process (tests that spawn dist/ apps cannot see a mutant: the child runs the unmutated build).
// Keep the test lists short: on 2 shared cores every mutant re-runs the tests covering it.
export const MODULES = {
  cutover: {
    mutate: ['deploy/cutover-drain.ts', 'deploy/cutover-plan.ts'],
    tests: ['<rootDir>/deploy/cutover-drain.spec.ts', '<rootDir>/deploy/cutover-plan.spec.ts'],
    integration: false,
  },
  batcher: {
    mutate: ['apps/absorber/src/ingest/enqueue-batcher.ts'],
    tests: ['<rootDir>/test/enqueue-batcher.test.ts', '<rootDir>/test/absorber.test.ts', '<rootDir>/test/partial-enqueue.test.ts'],
    integration: true,
  },
  ingest: {
    mutate: ['apps/absorber/src/ingest/ingest.service.ts', 'apps/absorber/src/ingest/ingest.controller.ts'],
    tests: ['<rootDir>/test/absorber.test.ts', '<rootDir>/test/idempotency-window.test.ts'],
    integration: true,
  },
  delivery: {
    mutate: ['apps/worker/src/delivery.processor.ts', 'apps/worker/src/key-fences.ts'],
    tests: ['<rootDir>/test/pipeline.test.ts', '<rootDir>/test/key-order.test.ts'],
    integration: true,
  },
  ledger: {
    mutate: ['apps/worker/src/ledger-sweeper.ts', 'apps/worker/src/ledger-sweep.ts', 'apps/worker/src/lambda/lambda-ledger-sweep.ts'],
    tests: ['<rootDir>/test/ledger-sweep-schedule.test.ts', '<rootDir>/test/ledger-retention.test.ts', '<rootDir>/test/lambda-ledger-sweep.test.ts'],
    integration: true,
  },
  bullmq: {
    mutate: ['libs/queue/src/bullmq/*.ts'],
    tests: ['<rootDir>/test/contract/bullmq.test.ts'],
    integration: true,
  },
  sqs: {
    mutate: ['libs/queue/src/sqs/sqs.driver.ts', 'libs/queue/src/sqs/sqs-consumer.ts', 'libs/queue/src/sqs/sqs-send.ts', 'libs/queue/src/sqs/sqs-packing.ts'],
    tests: ['<rootDir>/test/contract/sqs.test.ts', '<rootDir>/libs/queue/src/sqs/sqs-packing.spec.ts'],
    integration: true,
  },
  move: {
    mutate: ['libs/queue/src/move.ts'],
    tests: ['<rootDir>/test/queue-move-inprocess.test.ts'],
    integration: true,
  },
};
