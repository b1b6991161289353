// Both driver classes, for code that picks a driver itself (tests, `npm run dev`, the bench). It
// loads both brokers' clients; the apps use createQueueDriver (the index), which loads only one.
export { BullmqDriver } from './bullmq/bullmq.driver';
export { SqsDriver } from './sqs/sqs.driver';
