export * from './queue.port';
export * from './queue.module';
export { BullmqDriver } from './bullmq/bullmq.driver';
export { withTimeout, chunk, errorText } from './timeout';
export * from './idempotency/idempotency.store';
