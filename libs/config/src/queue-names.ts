// The broker names the runtime and deploy/ both spell: the lane list (./lanes), which lanes are
// FIFO, each lane's SQS queue and DLQ, and the claim-check bucket. One home, so the SQS driver,
// `npm run queues:ensure`, the CDK stacks, KEDA and the alarms cannot disagree about a name.
import { Lane, LANES } from './lanes';

export { LANES };

/** Lanes that promise per-key ordering, hence SQS FIFO queues; the others are Standard (throughput first). */
export const FIFO_LANES: readonly Lane[] = ['critical'];

export function isFifoLane(lane: Lane): boolean {
  return FIFO_LANES.includes(lane);
}

/** `<prefix>-critical.fifo`, `<prefix>-normal`, `<prefix>-low`, and `-dlq` twins (`<prefix>-critical-dlq.fifo`). */
export function queueName(prefix: string, lane: Lane, dlq = false): string {
  return `${prefix}-${lane}${dlq ? '-dlq' : ''}${isFifoLane(lane) ? '.fifo' : ''}`;
}

/**
 * The claim-check bucket: `<prefix>-payloads` (the apps' default SQS_PAYLOAD_BUCKET, for emulators and
 * local runs), or `<prefix>-payloads-<account id>` where an account is given (S3 names are global: the
 * bare name is likely someone else's). S3 names are lower case without underscores; prefixes may have both.
 */
export function payloadBucketName(queuePrefix: string, accountId?: string): string {
  const base = `${queuePrefix.toLowerCase().replace(/_/g, '-')}-payloads`;
  return accountId ? `${base}-${accountId}` : base;
}
