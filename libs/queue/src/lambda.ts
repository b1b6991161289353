// What the Lambda worker needs of the queue library: the SQS driver and its batch consumer for
// Lambda's event source mapping. Its own entry (not './drivers'), so the function's bundle carries
// the SQS client only, not BullMQ and ioredis.
export { SqsDriver } from './sqs/sqs.driver';
export { SqsBatchConsumer } from './sqs/sqs-batch';
