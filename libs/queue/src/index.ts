export * from './queue.port';
export * from './queue.module';
export { BullmqDriver } from './bullmq/bullmq.driver';
export { SqsDriver } from './sqs/sqs.driver';
export { queueName } from './sqs/sqs-names';
export { withTimeout, chunk, errorText } from './timeout';
export * from './idempotency/idempotency.store';
export { moveLane, pendingDeliveries, MoveOptions } from './move';
export * from './enqueue-outcome';
