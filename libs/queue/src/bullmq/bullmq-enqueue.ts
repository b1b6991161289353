import type { JobsOptions, Queue } from 'bullmq';
import { ReplyError } from 'ioredis';
import { EnqueueError, joinOutcomes } from '../enqueue-outcome';
import type { QueuedEvent } from '../queue.port';
import { chunk } from '../timeout';

/** Events per BullMQ job: each job costs one Lua script in Redis, so fewer, fuller jobs go faster. */
export const EVENTS_PER_JOB = 100;

/**
 * True when the command never reached Redis (refused before any write) or Redis answered with an
 * error (it did not run the write). A timeout or a connection lost with the command on the wire
 * is neither: the job may exist.
 */
export function neverWritten(err: unknown): boolean {
  if (err instanceof ReplyError) return true;
  return err instanceof Error && /^Stream isn't writeable/.test(err.message);
}

/**
 * Adds the events as jobs of at most EVENTS_PER_JOB, each job on its own (one Lua script each,
 * written back to back on one connection), so the outcome is known per job: one refused job fails
 * only its own events. Resolves when every job is held; otherwise rejects with an EnqueueError
 * that says which events are held and which are unknown.
 */
export async function addEventJobs(queue: Queue, lane: string, events: QueuedEvent[], opts: JobsOptions): Promise<void> {
  const parts = chunk(events, EVENTS_PER_JOB);
  const settled = await Promise.allSettled(parts.map((part) => queue.add('events', { events: part }, opts)));
  const error = joinOutcomes(
    lane,
    settled.map((s, i) =>
      s.status === 'fulfilled' ? { events: parts[i] } : { events: parts[i], error: s.reason, unknown: !neverWritten(s.reason) },
    ),
  );
  if (error) throw error;
}

export { EnqueueError };
