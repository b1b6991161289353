// The delivery-critical modules StrykerJS mutates, each with ONLY the tests that exercise it
// in-process (tests that spawn dist/ apps cannot see a mutant: the child runs the unmutated build).
// Keep the test lists short: on 2 shared cores every mutant re-runs the tests covering it. Suites
// run in list order and a run stops at its first failure, so list the quick suites first.
const SQS_CONSUMER_TESTS = ['test/sqs-consumer.test.ts', 'test/sqs-fifo-group.test.ts', 'test/contract/sqs.test.ts'];

export const MODULES = {
  cutover: {
    mutate: ['deploy/cutover-drain.ts', 'deploy/cutover-plan.ts'],
    tests: ['deploy/cutover-drain.spec.ts', 'deploy/cutover-plan.spec.ts'],
    integration: false,
  },
  // The cutover's orchestration (`npm run cutover`), runCutover in-process through the cases that run
  // the whole command: refusals (preflight, the hold), the TLS preflight (a dry run), Route 53's
  // steps, the drain's fallback to queue:move. The quick ones first. In two parts (the whole file is
  // 287 mutants, each restarting the runner: hours at concurrency 1): cutover-orchestration the
  // run itself (flags, steps, holds, the drain's inputs, scale-down, exit status), cutover-preflight
  // what it checks before a step and how it reaches each side. The help text is in cutover-help.ts.
  'cutover-orchestration': {
    mutate: ['deploy/cutover-run.ts:139-265'],
    tests: ['test/cutover-refusals.test.ts', 'test/cutover-tls.test.ts', 'test/cutover-route53.test.ts', 'test/cutover-fallback.test.ts'],
    integration: true,
  },
  'cutover-preflight': {
    mutate: ['deploy/cutover-run.ts:40-137'],
    tests: ['test/cutover-refusals.test.ts', 'test/cutover-tls.test.ts', 'test/cutover-route53.test.ts', 'test/cutover-fallback.test.ts'],
    integration: true,
  },
  batcher: {
    mutate: ['apps/absorber/src/ingest/enqueue-batcher.ts'],
    tests: ['test/enqueue-batcher.test.ts', 'test/absorber.test.ts', 'test/partial-enqueue.test.ts'],
    integration: true,
  },
  ingest: {
    // ingest.service.ts was split into its parts (admission, idempotency gate, writer) in #36.
    mutate: [
      'apps/absorber/src/ingest/ingest.service.ts', 'apps/absorber/src/ingest/ingest.controller.ts', 'apps/absorber/src/ingest/admission.ts',
      'apps/absorber/src/ingest/idempotency-gate.ts', 'apps/absorber/src/ingest/event-writer.ts',
    ],
    // The first run (2026-12-01, the first two files only) left refusals, unknown outcomes, tenant
    // limits and the store-down path uncovered: those live in the in-process suites after them.
    tests: [
      'test/absorber.test.ts', 'test/idempotency-window.test.ts', 'test/partial-enqueue.test.ts',
      'test/broker-outage.test.ts', 'test/tenant-burst.test.ts', 'test/idempotency-after-202.test.ts',
      'test/absorber-without-postgres.test.ts', 'test/metrics.test.ts', 'test/lane-shedding.test.ts',
      'test/redis-memory.test.ts', 'test/faults/bad-input.test.ts',
    ],
    integration: true,
  },
  // ingest after #36, one injected part per module (the whole was 226 mutants over 11 suites, about
  // 3.5 h). ingest-gate: the Idempotency-Key record around a request (reserve, 409 while pending,
  // release, settle) through the suites that send keyed requests on both stores.
  'ingest-gate': {
    mutate: ['apps/absorber/src/ingest/idempotency-gate.ts:41-81'],
    tests: ['test/idempotency-window.test.ts', 'test/partial-enqueue.test.ts', 'test/idempotency-after-202.test.ts'],
    integration: true,
  },
  // ingest-admission: what is refused before anything is written (a tenant over its burst or rate,
  // a lane shedding on backlog or broker memory), through the suites that drive each refusal.
  'ingest-admission': {
    mutate: ['apps/absorber/src/ingest/admission.ts:38-62'],
    // keyed-in-flight: the keyed request's second check (admitInFlight), added 2026-12-07.
    tests: ['test/tenant-burst.test.ts', 'test/keyed-in-flight.test.ts', 'test/lane-shedding.test.ts', 'test/redis-memory.test.ts'],
    integration: true,
  },
  // ingest-writer: the events handed to the broker per lane and each one's fate read back (held,
  // refused, unknown), the accepted counter and the shedder's sent signal: partial-enqueue's
  // refusals first, the absorber's round trip through the broker and its counters, then
  // lane-shedding (on SQS a lane is read early only on that signal; added after the first run).
  'ingest-writer': {
    mutate: ['apps/absorber/src/ingest/event-writer.ts:29-50'],
    tests: ['test/partial-enqueue.test.ts', 'test/absorber.test.ts', 'test/metrics.test.ts', 'test/lane-shedding.test.ts'],
    integration: true,
  },
  // ingest-service: the order of the steps (lanes, admission, key, ids, write, settle) and the
  // single event's answer; absorber (ids, lanes, keys, data), idempotency-window (keyed ids,
  // held repeats), partial-enqueue (refusals, the keyed record).
  // Rerun 2026-12-07 with outcome-unknown (the single route's 504), keyed-in-flight (the keyed
  // request's second in-flight check and its release), absorber's unkeyed repeats,
  // and the suites its first run's survivors showed were missing: tenant-burst (the admit call),
  // metrics (the traceparent carried).
  'ingest-service': {
    mutate: ['apps/absorber/src/ingest/ingest.service.ts:53-104'],
    tests: [
      'test/outcome-unknown-proxy.test.ts', 'test/outcome-unknown.test.ts', 'test/keyed-in-flight.test.ts', 'test/absorber.test.ts', 'test/tenant-burst.test.ts', 'test/idempotency-window.test.ts',
      'test/partial-enqueue.test.ts', 'test/metrics.test.ts',
    ],
    integration: true,
  },
  // ingest-controller: the batch route's checks (body shape, size, each event judged alone) and its
  // answer per event; absorber (every refusal, both drivers), outcome-unknown (an entry's 504),
  // bad-input (signed requests: the batch's signature and Content-Type checks, added after the
  // first run), partial-enqueue (refused entries beside held ones), hooks-security (a batch entry
  // in a webhook source's namespace, named by its index).
  'ingest-controller': {
    mutate: ['apps/absorber/src/ingest/ingest.controller.ts:46-67'],
    tests: ['test/outcome-unknown-proxy.test.ts', 'test/outcome-unknown.test.ts', 'test/absorber.test.ts', 'test/faults/bad-input.test.ts', 'test/partial-enqueue.test.ts', 'test/hooks-security.test.ts'],
    integration: true,
  },
  // ingest-route: POST /v1/events, the hot single-event route registered on Fastify (the API key,
  // the same checks as the batch, the 202 built by hand); the suites that send single events
  // in-process: its 504 (outcome-unknown), absorber (every refusal, both drivers), bad-input
  // (signed requests), metrics (the lane label of ingest timings), hooks-security (a type in a
  // webhook source's namespace, added after the first run).
  'ingest-route': {
    mutate: ['apps/absorber/src/ingest/ingest.route.ts:45-68'],
    tests: ['test/outcome-unknown-proxy.test.ts', 'test/outcome-unknown.test.ts', 'test/absorber.test.ts', 'test/faults/bad-input.test.ts', 'test/metrics.test.ts', 'test/hooks-security.test.ts'],
    integration: true,
  },
  // The processor in parts so that each fits a session (a run stopped midway writes nothing).
  // Before #36 (2026-12-01/02) delivery-flow was :1-107 and delivery-apply :108-166 of the old file;
  // since 2026-12-07 the ranges below (delivery-outage's lines left to it).
  // delivery-flow: the error texts, `process` (the delivery counters and log line), the fast path
  // of `processAll` (one transaction, then one by one) and the transaction's start and commit.
  'delivery-flow': {
    mutate: ['apps/worker/src/delivery.processor.ts:23-98', 'apps/worker/src/delivery.processor.ts:105-117'],
    // metrics: the delivery counters. (Not dead-letters: it runs the CLI from dist/, unmutated.)
    // lambda-database-down: the only in-process Postgres outage under DeliveryProcessor (the Lambda
    // entry runs it; the pod worker's outage case spawns dist/).
    tests: ['test/pipeline.test.ts', 'test/metrics.test.ts', 'test/key-order.test.ts', 'test/lambda-database-down.test.ts'],
    integration: true,
  },
  // After #36, small: only how a failure is told from an outage (processAll's catch, inTransaction's
  // catch): an outage must defer the delivery (DependencyDownError, never an attempt spent), a
  // handler's error with Postgres up must fail it. The Lambda's in-process outage first, then the
  // pipeline's failing handlers.
  'delivery-outage': {
    mutate: ['apps/worker/src/delivery.processor.ts:99-104', 'apps/worker/src/delivery.processor.ts:118-121'],
    tests: ['test/lambda-database-down.test.ts', 'test/pipeline.test.ts'],
    integration: true,
  },
  // delivery-onebyone: one event per transaction after a failure, a key's later events not run
  // behind its failed one (here or fenced by another delivery), unrecoverable vs failed, and the
  // fence written or lifted per failed event (`recordFailure`).
  'delivery-onebyone': {
    mutate: ['apps/worker/src/delivery.processor.ts:132-174'],
    tests: ['test/key-order.test.ts', 'test/pipeline.test.ts'],
    integration: true,
  },
  // delivery-apply: the claim in processed_events and the handlers run for what was claimed.
  // hooks-security (added after the first run): the only case that reads processed_events.origin.
  'delivery-apply': {
    mutate: ['apps/worker/src/delivery.processor.ts:176-199'],
    tests: ['test/pipeline.test.ts', 'test/key-order.test.ts', 'test/metrics.test.ts', 'test/hooks-security.test.ts'],
    integration: true,
  },
  fences: {
    mutate: ['apps/worker/src/key-fences.ts'],
    tests: ['test/key-order.test.ts', 'test/pipeline.test.ts'],
    integration: true,
  },
  ledger: {
    mutate: ['apps/worker/src/ledger-sweeper.ts', 'apps/worker/src/ledger-sweep.ts', 'apps/worker/src/lambda/lambda-ledger-sweep.ts'],
    tests: ['test/ledger-sweep-schedule.test.ts', 'test/ledger-retention.test.ts', 'test/lambda-ledger-sweep.test.ts'],
    integration: true,
  },
  // The drivers are split by line range (Stryker's `file.ts:from-to`) so that each part fits a
  // working session: a stopped run writes no report, a finished part keeps its own.
  'bullmq-flow': {
    mutate: ['libs/queue/src/bullmq/bullmq.driver.ts:1-217', 'libs/queue/src/bullmq/bullmq-enqueue.ts'],
    // broker-outage: the in-process absorber while its own Redis is killed (enqueue while not
    // connected, reconnection); the contract only ever sees a live Redis.
    tests: ['test/contract/bullmq.test.ts', 'test/broker-outage.test.ts'],
    integration: true,
  },
  'bullmq-ops': {
    mutate: ['libs/queue/src/bullmq/bullmq.driver.ts:218-328'],
    tests: ['test/bullmq-failed-set.test.ts', 'test/contract/bullmq.test.ts', 'test/dead-letter-discard.test.ts'],
    integration: true,
  },
  'sqs-send': {
    mutate: ['libs/queue/src/sqs/sqs-send.ts', 'libs/queue/src/sqs/sqs-packing.ts'],
    // sqs-send: each message's held / refused / unknown, against fauxqs and a failing server;
    // partial-enqueue: the same through the absorber (one entry refused in a shared call).
    tests: [
      'libs/queue/src/sqs/sqs-packing.spec.ts', 'test/sqs-send.test.ts', 'test/partial-enqueue.test.ts',
      'test/contract/sqs.test.ts',
    ],
    integration: true,
  },
  'sqs-flow': {
    mutate: ['libs/queue/src/sqs/sqs.driver.ts:1-212'],
    // The first run (2026-12-01, contract only) left the send path's failures uncovered: a slow,
    // silent or failing SQS (sqs-driver-send), refused entries and a lane gone (partial-enqueue),
    // SQS stopped under the absorber (broker-outage).
    tests: [
      'test/sqs-driver-send.test.ts', 'test/partial-enqueue.test.ts', 'test/broker-outage.test.ts',
      'test/contract/sqs.test.ts',
    ],
    integration: true,
  },
  'sqs-ops': {
    mutate: ['libs/queue/src/sqs/sqs.driver.ts:213-370'],
    tests: ['test/sqs-redrive-partial.test.ts', 'test/sqs-dead-letters.test.ts', 'test/contract/sqs.test.ts', 'test/dead-letter-discard.test.ts'],
    integration: true,
  },
  // In three parts run side by side: 218 mutants at about a minute each (every contract case
  // consumes, so a survivor re-runs the whole contract) do not fit a session in one run. The
  // cases mostly wait on timers, so parts side by side barely slow each other. sqs-consumer: the
  // calls the consumer makes (FifoSqsFake records them), written after the first run's survivors.
  // The delivery policy every consumer carries out: a pure function, pinned by its table spec alone
  // (seconds per mutant). The consumers that carry each verdict out have modules of their own
  // (sqs-consumer-*, lambda-batch, bullmq-*); with their suites here every survivor would re-run
  // minutes of integration cases to learn what the table should say.
  'delivery-policy': {
    mutate: ['libs/queue/src/delivery-policy.ts'],
    tests: ['libs/queue/src/delivery-policy.spec.ts'],
    integration: false,
  },
  'sqs-consumer-loop': {
    mutate: ['libs/queue/src/sqs/sqs-consumer.ts:1-105'],
    tests: SQS_CONSUMER_TESTS,
    integration: true,
  },
  'sqs-consumer-chain': {
    mutate: ['libs/queue/src/sqs/sqs-consumer.ts:106-160'],
    tests: SQS_CONSUMER_TESTS,
    integration: true,
  },
  'sqs-consumer-calls': {
    mutate: ['libs/queue/src/sqs/sqs-consumer.ts:161-291'],
    tests: SQS_CONSUMER_TESTS,
    integration: true,
  },
  // The Lambda batch consumer (moved from apps/worker/src/lambda/sqs-batch.ts in #36; the scores of
  // 2026-12-06 in docs/mutation are of that file), in two parts: lambda-batch the chains and each
  // record's run under the policy (the time margin, the dead-letter copy, the FIFO chain, the
  // outage hold), lambda-batch-intake the grouping into chains, the foreign-queue refusal and the
  // runners' count.
  'lambda-batch': {
    mutate: ['libs/queue/src/sqs/sqs-batch.ts:83-155'],
    tests: ['test/lambda-worker.test.ts', 'test/lambda-database-down.test.ts'],
    integration: true,
  },
  'lambda-batch-intake': {
    mutate: ['libs/queue/src/sqs/sqs-batch.ts:1-82'],
    tests: ['test/lambda-worker.test.ts', 'test/lambda-database-down.test.ts'],
    integration: true,
  },
  // Webhooks, in parts (the whole is about 860 lines over two integration suites: hours at
  // concurrency 1 on the shared cores; signing.ts with the route's handler alone was 77 mutants at
  // about 2 min each on 2026-12-07). hooks: the route's 401 and 429 refusals. hooks-providers (not
  // run yet): the whole module as first defined (it overlaps hooks); split it by file before running.
  hooks: {
    // Lines 103-112 since the route maps its refusals once (#36; they were 100-110 at the first run).
    mutate: ['apps/absorber/src/hooks/hooks.route.ts:103-112'],
    tests: ['test/hooks-security.test.ts', 'test/hooks.test.ts'],
    integration: true,
  },
  'hooks-providers': {
    mutate: [
      'apps/absorber/src/hooks/**/*.ts',
      'apps/absorber/src/ingest/event-origin.ts', 'libs/config/src/secret-strength.ts',
    ],
    tests: [
      'libs/config/src/config.spec.ts', 'libs/config/src/webhooks.spec.ts', 'test/hooks-security.test.ts',
      'test/hooks.test.ts',
    ],
    integration: true,
  },
  // The 202's truth: which events of an enqueue were held, refused or of unknown fate. Its spec
  // first (milliseconds; written after the first run's survivors), then the batcher (BullMQ), the
  // SQS driver against a slow or failing SQS, and the absorber's answers.
  'enqueue-outcome': {
    // EnqueueError (held / unknown sets, allUnknown) moved to errors/enqueue.error.ts in #36.
    mutate: ['libs/queue/src/enqueue-outcome.ts', 'libs/queue/src/errors/enqueue.error.ts'],
    tests: ['libs/queue/src/enqueue-outcome.spec.ts', 'test/enqueue-batcher.test.ts', 'test/sqs-driver-send.test.ts', 'test/partial-enqueue.test.ts'],
    integration: true,
  },
  // SQS message writes: sends with claim checks, and the driver's dead-letter copies. The FIFO fake
  // first (a dead-letter copy's group and dedupe id), then sends, S3 ordering, the Lambda's copies.
  'sqs-messages': {
    mutate: ['libs/queue/src/sqs/sqs-messages.ts'],
    tests: [
      'test/sqs-fifo-group.test.ts', 'test/sqs-driver-send.test.ts', 'test/claim-check-order.test.ts',
      'test/lambda-worker.test.ts',
    ],
    integration: true,
  },
  // Idempotency-Key records (Redis with BullMQ, Postgres with SQS): reserve / held / release /
  // sweep, through the absorber's answers (idempotency-window runs on both stores) and the keyed
  // batches a refusal releases or holds (partial-enqueue).
  // Whole, as first run on 2026-12-07 (67 mutants, 78 min on the loaded machine): the factory, both
  // stores.
  idempotency: {
    mutate: ['libs/queue/src/idempotency/*.ts'],
    tests: ['test/idempotency-after-202.test.ts', 'test/idempotency-window.test.ts', 'test/partial-enqueue.test.ts'],
    integration: true,
  },
  // The Postgres store's reserve / markHeld / release (what SQS's absorber keys on), with the two
  // suites that now ask the store itself: idempotency-window's "keeps the record in its store"
  // (held after a 202) and partial-enqueue's keyed case (released after a whole refusal).
  'idempotency-postgres': {
    mutate: ['libs/queue/src/idempotency/postgres-idempotency.store.ts:29-67'],
    tests: ['test/idempotency-window.test.ts', 'test/partial-enqueue.test.ts'],
    integration: true,
  },
  // The Redis store (BullMQ's absorber): its Lua scripts and the TypeScript around them; the store's
  // own cases first (release, generations, retention: no absorber case refuses a keyed batch on
  // BullMQ), then the absorber's keyed requests on both drivers (only BullMQ's reach this store).
  'idempotency-redis': {
    mutate: ['libs/queue/src/idempotency/redis-idempotency.store.ts'],
    tests: ['test/redis-idempotency-store.test.ts', 'test/idempotency-window.test.ts', 'test/idempotency-after-202.test.ts'],
    integration: true,
  },
  // Backups, narrowed to the restore's count check against the counts sealed in the dump. All of
  // the backup code is 463 mutants, db-restore's command alone 119, its choice of dump and count
  // check 34 (about 1.5 min each on the loaded machine of 2026-12-07): hours at concurrency 1 with
  // a 35 s case per survivor. The sealed file and retention have their specs. backup-restore's in-process cases run the command (its full round trip runs
  // the built CLIs, unmutated). The specs first, then the quick in-process refusals.
  backup: {
    mutate: ['apps/cli/src/db-restore.ts:75-78', 'apps/cli/src/backup/postgres-dump.ts:84-87'],
    tests: ['apps/cli/src/backup/sealed-file.spec.ts', 'apps/cli/src/backup/object-store.spec.ts', 'test/backup-restore.test.ts'],
    integration: true,
  },
  move: {
    mutate: ['libs/queue/src/move.ts'],
    tests: ['test/queue-move-inprocess.test.ts'],
    integration: true,
  },
};
