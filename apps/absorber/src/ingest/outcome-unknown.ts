import type { FastifyReply } from 'fastify';
import type { Lane } from '../../../../libs/config/src';
import { Metrics } from '../../../../libs/health/src';

/** Seconds a sender is told to wait before retrying an event whose outcome is unknown. */
export const UNKNOWN_RETRY_AFTER_S = 1;

/** What a sender is told about an event the broker may or may not hold. */
export function unknownAdvice(idempotencyKey: string | undefined): string {
  return idempotencyKey
    ? 'retry with the same Idempotency-Key: a retry cannot double the event'
    : 'a retry without an Idempotency-Key may double the event; send one with every request so that retries are safe';
}

/**
 * The broker did not answer in time: the event may or may not be held. Answered `504` (the
 * status a gateway gives when it cannot say what happened upstream) with `outcome: "unknown"`.
 */
export class OutcomeUnknownError extends Error {
  constructor(readonly id: string, readonly lane: Lane, readonly idempotencyKey: string | undefined, reason: string) {
    super(`outcome unknown: ${reason}; event ${id} may or may not be held; ${unknownAdvice(idempotencyKey)}`);
  }
}

export function replyOutcomeUnknown(reply: FastifyReply, err: OutcomeUnknownError, metrics: Metrics): FastifyReply {
  metrics.rejected.inc({ status: '504' });
  return reply
    .status(504)
    .header('Retry-After', String(UNKNOWN_RETRY_AFTER_S))
    .send({ statusCode: 504, error: 'Outcome Unknown', outcome: 'unknown', id: err.id, lane: err.lane, message: err.message });
}
