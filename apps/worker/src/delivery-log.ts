import type { DeliveryOutcome } from '@spillway/health';
import { deadLettersOn, Delivery, DependencyDownError } from '@spillway/queue';

/** Ids and trace contexts listed per log line, at most: a delivery can carry hundreds of events. */
const MAX_LISTED = 20;

/**
 * Deferred: the database was down, the driver holds the delivery without spending an attempt.
 * failed_final: the delivery policy dead-letters it (its last attempt, or an unrecoverable error).
 */
export function deliveryFailureOutcome(delivery: Delivery, err: unknown): DeliveryOutcome {
  if (err instanceof DependencyDownError) return 'deferred';
  return deadLettersOn(delivery, err) ? 'failed_final' : 'failed';
}

/**
 * A structured log line for one delivery: the W3C trace contexts its events arrived with (from the
 * ingest request's `traceparent`), so a failure can be found from the sender's trace. Never the
 * events' data.
 */
export function deliveryLogLine(delivery: Delivery, outcome: DeliveryOutcome | 'succeeded', err?: unknown): Record<string, unknown> {
  const traceparents = [...new Set(delivery.events.flatMap((e) => (e.traceparent ? [e.traceparent] : [])))];
  return {
    msg: `lane ${delivery.lane}: delivery ${outcome} on attempt ${delivery.attempt} of ${delivery.maxAttempts}`,
    lane: delivery.lane,
    attempt: delivery.attempt,
    outcome,
    events: delivery.events.length,
    eventIds: delivery.events.slice(0, MAX_LISTED).map((e) => e.id),
    ...(traceparents.length ? { traceparents: traceparents.slice(0, MAX_LISTED) } : {}),
    ...(err ? { error: (err as Error).message ?? String(err) } : {}),
  };
}
