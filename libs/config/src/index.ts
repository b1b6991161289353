export * from './lanes';
export { FIFO_LANES, isFifoLane, queueName, payloadBucketName } from './queue-names';
export * from './config';
export { loadLambdaConfig } from './lambda-config';
export * from './config.module';
export { EnvReader } from './parse';
export * from './webhooks';
export type { DatabaseCa } from './database-ca';
