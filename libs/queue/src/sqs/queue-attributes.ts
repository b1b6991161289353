// The SQS attributes of every lane queue and its DLQ, in SQS API names and string values. One
// place: `npm run queues:ensure` sets exactly these, and the CDK queues stack
// (deploy/aws/queues.ts) renders exactly these, so the two cannot disagree (deploy/aws/queues.spec.ts).
import type { Lane } from '@spillway/config';
import { isFifoLane } from './sqs-names';
import { SQS_MAX_BYTES, visibilitySeconds } from './sqs-packing';

/** SQS maximum: 14 days to look at what failed, and the longest a lane can hold a backlog. */
export const RETENTION_SECONDS = 14 * 24 * 3600;
/** Claim-check objects outlive the longest-lived message that can point at them by a day. */
export const PAYLOAD_EXPIRY_DAYS = RETENTION_SECONDS / 86_400 + 1;

/**
 * Claim-check objects expire after the ledger's retention (LEDGER_RETENTION_DAYS), but never
 * before the queues drop the messages that point at them: one place for queues:ensure and CDK.
 */
export function payloadExpiryDays(ledgerRetentionDays: number): number {
  return Math.max(ledgerRetentionDays, PAYLOAD_EXPIRY_DAYS);
}
/** Long polling: a receive waits up to this for messages instead of returning empty at once. */
export const LONG_POLL_SECONDS = 20;

export interface QueueSettings {
  leaseMs: number;
  maxAttempts: number;
}

/** Attributes both a lane's queue and its DLQ carry. */
export function commonAttributes(lane: Lane): Record<string, string> {
  return {
    MaximumMessageSize: String(SQS_MAX_BYTES),
    MessageRetentionPeriod: String(RETENTION_SECONDS),
    SqsManagedSseEnabled: 'true',
    // High-throughput FIFO: the ordering promise is per key (MessageGroupId), so the limit is too.
    // The driver sends explicit deduplication ids, so content-based deduplication stays off.
    ...(isFifoLane(lane)
      ? { FifoQueue: 'true', ContentBasedDeduplication: 'false', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' }
      : {}),
  };
}

export function dlqAttributes(lane: Lane): Record<string, string> {
  return commonAttributes(lane);
}

/** The lane's queue: a delivery's lease, long polling, and SQS's own dead-lettering after maxAttempts receives. */
export function laneAttributes(lane: Lane, settings: QueueSettings, dlqArn: string): Record<string, string> {
  return {
    ...commonAttributes(lane),
    VisibilityTimeout: String(visibilitySeconds(settings.leaseMs)),
    ReceiveMessageWaitTimeSeconds: String(LONG_POLL_SECONDS),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxAttempts }),
  };
}
