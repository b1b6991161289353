import { QueuedEvent, UnrecoverableError } from '@spillway/queue';

/**
 * What a handler throws for an event whose payload it can never apply (a field missing, of the
 * wrong type): an UnrecoverableError, so the delivery policy dead-letters it at once with this
 * message instead of spending every attempt on it. A passing failure (a timeout, a lock) stays a
 * plain Error: that one is retried.
 */
export class MalformedEventError extends UnrecoverableError {
  constructor(event: Pick<QueuedEvent, 'id' | 'type'>, why: string) {
    super(`event ${event.id} (${event.type}) is malformed: ${why}`);
    this.name = 'MalformedEventError';
  }
}
