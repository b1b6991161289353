// A lane's workers as AWS Lambda (issue 20): billed per invocation and per GB-second of duration
// (rounded up to the millisecond), beside pods that are billed by the node-hour whether busy or not.
import { AwsRegionPrices } from './prices';
import { SECONDS_PER_MONTH } from './assumptions';

export interface LambdaLane {
  /** Events per second on the lane, sustained over the month. */
  eventsPerSecond: number;
  memoryMiB: number;
  /** SQS records per invocation (the event source mapping's batch size). */
  batchSize: number;
  /** Per invocation: start, Postgres transaction, SQS batch answer. */
  invocationOverheadMs: number;
  /** Handler time per event (from the bench's worker drain rate). */
  msPerEvent: number;
  /** Seconds SQS gathers records: at a low rate a batch holds what arrives in it, not batchSize. 0: full batches. */
  batchingWindowSeconds?: number;
  /** Priced per GB-second by architecture; x86_64 when absent. */
  architecture?: 'arm64' | 'x86_64';
}

/** Records per invocation: batchSize, or what arrives within the batching window when that is fewer. */
export function recordsPerInvocation(lane: LambdaLane): number {
  const w = lane.batchingWindowSeconds ?? 0;
  return w > 0 ? Math.min(lane.batchSize, Math.max(1, lane.eventsPerSecond * w)) : lane.batchSize;
}

export interface LambdaCost {
  invocationsPerMonth: number;
  gbSecondsPerMonth: number;
  requestsUsd: number;
  durationUsd: number;
  monthlyUsd: number;
}

export function lambdaLaneCost(prices: AwsRegionPrices, lane: LambdaLane): LambdaCost {
  if (!(lane.batchSize >= 1 && lane.memoryMiB >= 128)) throw new Error('lambda lane: batchSize >= 1 and memoryMiB >= 128');
  const batch = recordsPerInvocation(lane);
  const invocationsPerMonth = (lane.eventsPerSecond * SECONDS_PER_MONTH) / batch;
  const billedMs = Math.ceil(lane.invocationOverheadMs + batch * lane.msPerEvent);
  const gbSecondsPerMonth = invocationsPerMonth * (billedMs / 1000) * (lane.memoryMiB / 1024);
  const requestsUsd = (invocationsPerMonth / 1e6) * prices.lambdaPerMillionRequests;
  const durationUsd = gbSecondsPerMonth * (lane.architecture === 'arm64' ? prices.lambdaArmPerGbSecond : prices.lambdaPerGbSecond);
  return { invocationsPerMonth, gbSecondsPerMonth, requestsUsd, durationUsd, monthlyUsd: requestsUsd + durationUsd };
}
