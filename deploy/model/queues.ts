// Queue names, the FIFO rule and the claim-check bucket are stated once, in
// libs/config/src/queue-names.ts, for the SQS driver and deploy/ alike: the CDK queues stack, KEDA
// and the alarms take them from here, so a rename cannot reach only one of them.
import { Lane, LANES } from '@spillway/config/lanes';
import { FIFO_LANES, isFifoLane, payloadBucketName, queueName } from '@spillway/config/queue-names';

export { FIFO_LANES, queueName, isFifoLane as isFifo };

export function allLanes(): Lane[] {
  return [...LANES];
}

/**
 * The claim-check bucket of an EKS target, `<queue prefix>-payloads-<account id>`. The CDK queues
 * stack creates it; every EKS pod and Lambda function gets it as SQS_PAYLOAD_BUCKET.
 */
export function payloadBucket(queuePrefix: string, accountId: string): string {
  return payloadBucketName(queuePrefix, accountId);
}
