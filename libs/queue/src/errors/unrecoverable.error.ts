/**
 * Thrown by a delivery handler when trying again cannot help: no handler for an event's type, or
 * a payload the handler rejects as malformed. The delivery policy dead-letters the delivery at once
 * (BullMQ's `UnrecoverableError` does the same), instead of spending every attempt on it.
 */
export class UnrecoverableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}
