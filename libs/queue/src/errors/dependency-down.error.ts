/**
 * Thrown by a delivery handler when it could not run at all because a dependency (the database)
 * is down. The delivery policy holds the delivery without spending one of its attempts and runs it
 * again after `retryAfterMs`, so an outage does not push healthy events into the dead-letter queue.
 */
export class DependencyDownError extends Error {
  constructor(message: string, readonly retryAfterMs: number) {
    super(message);
    this.name = 'DependencyDownError';
  }
}
