// The queue layer's errors, one per file. Each says what a caller can know about the broker or a
// delivery; what an HTTP client is told about them is decided by the absorber
// (apps/absorber/src/ingest/http-answer.ts), what a delivery's fate is by delivery-policy.ts.
export { BrokerUnavailableError } from './broker-unavailable.error';
export { DependencyDownError } from './dependency-down.error';
export { EnqueueError } from './enqueue.error';
export { UnrecoverableError } from './unrecoverable.error';
