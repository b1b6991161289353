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
  const invocationsPerMonth = (lane.eventsPerSecond * SECONDS_PER_MONTH) / lane.batchSize;
  const billedMs = Math.ceil(lane.invocationOverheadMs + lane.batchSize * lane.msPerEvent);
  const gbSecondsPerMonth = invocationsPerMonth * (billedMs / 1000) * (lane.memoryMiB / 1024);
  const requestsUsd = (invocationsPerMonth / 1e6) * prices.lambdaPerMillionRequests;
  const durationUsd = gbSecondsPerMonth * prices.lambdaPerGbSecond;
  return { invocationsPerMonth, gbSecondsPerMonth, requestsUsd, durationUsd, monthlyUsd: requestsUsd + durationUsd };
}
