import type { Lane } from '@spillway/config';

// The absorber's ingest errors, in one place: each names a refusal of `POST /v1/events`, its batch
// form or `POST /v1/hooks/<source>` and says, in its message, what was wrong. What a client is
// told for each (status, headers, body) is decided once, in http-answer.ts. The broker's own
// errors (BrokerUnavailableError, EnqueueError) are the queue layer's: libs/queue/src/errors/.

/** No API key, a key not accepted, or a request signature that does not verify. */
export class NotAuthenticatedError extends Error {
  override readonly name = 'NotAuthenticatedError';
}

/** A body that is not JSON (Content-Type) where JSON is required. */
export class NotJsonError extends Error {
  override readonly name = 'NotJsonError';
}

/** A header, body or field that is wrong; the message names it. */
export class BadRequestError extends Error {
  override readonly name: string = 'BadRequestError';
}

/** A verified webhook body its provider cannot turn into an event. */
export class HookPayloadError extends BadRequestError {
  override readonly name = 'HookPayloadError';
}

/** An event type in a webhook source's namespace, sent with an API key. */
export class ReservedTypeError extends Error {
  override readonly name = 'ReservedTypeError';
}

/** `/v1/hooks/<name>` for a source that is not configured. */
export class UnknownSourceError extends Error {
  override readonly name = 'UnknownSourceError';

  constructor(readonly source: string) {
    super(`no webhook source "${source}" (declare it in WEBHOOK_SOURCES)`);
  }
}

/** A GET to a source whose provider has no GET handshake. */
export class PostOnlyError extends Error {
  override readonly name = 'PostOnlyError';

  constructor(source: string, provider: string) {
    super(`source "${source}" (${provider}) takes POST only`);
  }
}

/** A body over the limit, or a request holding more events than its tenant's whole burst. */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
}

/** An earlier request with the same Idempotency-Key still awaits the broker. */
export class KeyInFlightError extends Error {
  override readonly name = 'KeyInFlightError';

  constructor() {
    super('a request with this Idempotency-Key is still awaiting the broker; retry with the same key');
  }
}

/** A tenant or a webhook source over its rate; `retryAfterSeconds` is when its tokens are back. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';

  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

/** A lane over its high-water mark, or the broker's memory over the lane's share: nothing accepted. */
export class LaneSheddingError extends Error {
  override readonly name = 'LaneSheddingError';
}

/**
 * The absorber's own bound: ENQUEUE_MAX_IN_FLIGHT events already await the broker's answer, so
 * this request was refused before anything of it was written. (The broker itself did not refuse:
 * that is the queue layer's BrokerUnavailableError.)
 */
export class InFlightBoundError extends Error {
  override readonly name = 'InFlightBoundError';

  constructor(inFlight: number, max: number) {
    super(`the broker is slow: ${inFlight} events already await its answer (limit ENQUEUE_MAX_IN_FLIGHT=${max})`);
  }
}

/** What a sender is told about an event the broker may or may not hold. */
export function unknownAdvice(idempotencyKey: string | undefined): string {
  return idempotencyKey
    ? 'retry with the same Idempotency-Key: a retry cannot double the event'
    : 'a retry without an Idempotency-Key may double the event; send one with every request so that retries are safe';
}

/** The broker did not answer in time: the event may or may not be held. */
export class OutcomeUnknownError extends Error {
  override readonly name = 'OutcomeUnknownError';

  constructor(readonly id: string, readonly lane: Lane, idempotencyKey: string | undefined, reason: string) {
    super(`outcome unknown: ${reason}; event ${id} may or may not be held; ${unknownAdvice(idempotencyKey)}`);
  }
}
