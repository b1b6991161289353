export * from './queue.port';
export * from './queue.module';
export * from './delivery-policy';
export * from './shedder-sampling';
// The driver classes are in './drivers' (for code that picks one itself: tests, dev, bench);
// apps go through createQueueDriver, which loads only the configured one.
export { queueName } from './sqs/sqs-names';
export { withTimeout, chunk, errorText } from './timeout';
export * from './idempotency/idempotency.store';
export type { HeldMark } from './idempotency/held-mark';
export { createIdempotencyStore } from './idempotency/create-idempotency-store';
export { moveLane, pendingDeliveries, MoveOptions } from './move';
export * from './enqueue-outcome';
export * from './errors';
