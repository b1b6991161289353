import { EnqueueError } from './errors';
import type { QueuedEvent } from './queue.port';

// Kept importable from here for the drivers that always did; it is defined in errors.ts.
export { EnqueueError };

/** What the broker is known to have done with one event of an enqueue. */
export type EventOutcome = 'held' | 'refused' | 'unknown';

/** The fate of event `id` of an enqueue that settled with `error` (undefined: all held). */
export function outcomeOf(error: unknown, id: string): EventOutcome {
  if (error === undefined) return 'held';
  if (error instanceof EnqueueError) return error.held.has(id) ? 'held' : error.unknown.has(id) ? 'unknown' : 'refused';
  return 'refused';
}

/**
 * Joins the reports of several writes of one enqueue (several jobs, several SendMessageBatch
 * calls) into one error, or undefined when every write held its events.
 */
export function joinOutcomes(lane: string, parts: Array<{ events: readonly QueuedEvent[]; error?: unknown; unknown?: boolean }>): EnqueueError | undefined {
  const held = new Set<string>();
  const unknown = new Set<string>();
  const reasons: string[] = [];
  let failed = false;
  let firstCause: unknown;
  for (const part of parts) {
    if (part.error === undefined) {
      for (const e of part.events) held.add(e.id);
      continue;
    }
    failed = true;
    firstCause ??= part.error;
    const reason = (part.error as Error)?.message ?? String(part.error);
    if (!reasons.includes(reason)) reasons.push(reason);
    if (part.unknown) for (const e of part.events) unknown.add(e.id);
    else if (part.error instanceof EnqueueError) {
      for (const e of part.events) {
        if (part.error.held.has(e.id)) held.add(e.id);
        else if (part.error.unknown.has(e.id)) unknown.add(e.id);
      }
    }
  }
  if (!failed) return undefined;
  return new EnqueueError(`enqueue to ${lane} failed: ${reasons.join('; ')}`, held, unknown, firstCause);
}
