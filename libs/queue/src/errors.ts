import type { QueuedEvent } from './queue.port';

// The queue layer's errors, in one place. Each says what a caller can know about the broker; what
// an HTTP client is told about them is decided by the absorber (apps/absorber/src/ingest/http-answer.ts).

/**
 * Thrown by a delivery handler when it could not run at all because a dependency (the database)
 * is down. The driver returns the delivery without spending one of its attempts and pauses the
 * lane for `retryAfterMs`, so an outage does not push healthy events into the dead-letter queue.
 */
export class DependencyDownError extends Error {
  constructor(message: string, readonly retryAfterMs: number) {
    super(message);
    this.name = 'DependencyDownError';
  }
}

/** The broker refused or could not be reached: nothing of the call was written. */
export class BrokerUnavailableError extends Error {
  constructor(message: string, readonly cause?: unknown) {
    super(message);
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * An enqueue that did not hold every event. `held` lists the ids the broker acknowledged,
 * `unknown` the ids of writes whose answer never came (a timeout, a connection lost after the
 * write went out): those may be held or not. Every other id of the call was refused: nothing of it
 * was written. A plain BrokerUnavailableError from `enqueue` means nothing at all was written.
 */
export class EnqueueError extends BrokerUnavailableError {
  constructor(
    message: string,
    readonly held: ReadonlySet<string>,
    readonly unknown: ReadonlySet<string>,
    cause?: unknown,
  ) {
    super(message, cause);
    this.name = 'EnqueueError';
  }

  /** Every event of the call with an unknown outcome (a write that outlived its deadline). */
  static allUnknown(message: string, events: readonly QueuedEvent[], cause?: unknown): EnqueueError {
    return new EnqueueError(message, new Set(), new Set(events.map((e) => e.id)), cause);
  }
}
