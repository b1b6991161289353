import { SetMetadata } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueuedEvent } from '@spillway/queue';

/**
 * A handler gets the events of its types from one delivery, and the transaction that will also
 * record them in `processed_events`: write through `tx` and the effect happens once.
 */
export interface EventHandler {
  handle(events: QueuedEvent[], tx: EntityManager): Promise<void>;
}

export const HANDLES_EVENTS = Symbol('HANDLES_EVENTS');

/** `@HandlesEvents('order.created')`, `@HandlesEvents('billing.*')`, or `'*'` for every other type. */
export const HandlesEvents = (...patterns: string[]) => SetMetadata(HANDLES_EVENTS, patterns);
