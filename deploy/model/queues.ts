// Queue names as the SQS driver builds them: `<prefix>-critical.fifo`, `<prefix>-normal`,
// `<prefix>-low`, and `-dlq` twins (`<prefix>-critical-dlq.fifo` for the FIFO one).
// The CDK queues stack and KEDA both take names from here, so a rename cannot reach only one of them.
import { Lane, LANES } from '../../libs/config/src/lanes';

/** Lanes that promise per-key ordering, hence SQS FIFO queues. */
export const FIFO_LANES: readonly Lane[] = ['critical'];

export function isFifo(lane: Lane): boolean {
  return FIFO_LANES.includes(lane);
}

export function queueName(prefix: string, lane: Lane, dlq = false): string {
  const base = `${prefix}-${lane}${dlq ? '-dlq' : ''}`;
  return isFifo(lane) ? `${base}.fifo` : base;
}

export function allLanes(): Lane[] {
  return [...LANES];
}

/**
 * The claim-check bucket of the EKS target: `<queue prefix>-payloads-<account id>`, like the backups
 * bucket (S3 names are global: the bare name is likely someone else's). The CDK queues stack creates
 * it; every EKS pod and Lambda function gets it as SQS_PAYLOAD_BUCKET (the apps' default,
 * `<prefix>-payloads`, is for emulators and local runs).
 */
export function payloadBucket(queuePrefix: string, accountId: string): string {
  return `${queuePrefix.toLowerCase().replace(/_/g, '-')}-payloads-${accountId}`;
}
