// The names are stated once, for the runtime and deploy/ alike, in libs/config/src/queue-names.ts;
// the SQS driver's files take them from here.
export { FIFO_LANES, isFifoLane, queueName } from '@spillway/config/queue-names';
