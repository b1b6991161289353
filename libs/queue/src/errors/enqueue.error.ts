import type { QueuedEvent } from '../queue.port';
import { BrokerUnavailableError } from './broker-unavailable.error';

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
