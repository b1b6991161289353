import { randomBytes } from 'node:crypto';
import { Job, JobsOptions, Queue } from 'bullmq';
import { ReplyError } from 'ioredis';
import { EnqueueError, joinOutcomes } from '../enqueue-outcome';
import { HeldMark, MARK_HELD } from '../idempotency/held-mark';
import type { QueuedEvent } from '../queue.port';
import { chunk } from '../timeout';

/** Events per BullMQ job: each job costs one Lua script in Redis, so fewer, fuller jobs go faster. */
export const EVENTS_PER_JOB = 100;

/**
 * Ids of jobs that carry a held mark (only those: the others keep BullMQ's counter ids, which the
 * bench counts). The mark checks its jobs by key, so the id must be known before the answer;
 * unique per process (random prefix, then a sequence), never an integer, no ':' (BullMQ's rules).
 */
const MARKED_JOB_PREFIX = `m${randomBytes(6).toString('hex')}-`;
let markedJobs = 0;

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
 * Adds the events as jobs of at most EVENTS_PER_JOB, each job on its own (one Lua script each),
 * all in one pipeline on one connection, so the outcome is known per job: one refused job fails
 * only its own events. Resolves when every job is held; otherwise rejects with an EnqueueError
 * that says which events are held and which are unknown.
 *
 * `marks` go in the same pipeline, behind the jobs (held-mark.ts): Redis runs a connection's
 * commands in order, so each mark finds its jobs listed if they were wholly added; `marked` is set
 * when Redis says the record is now held. No mark can mark a record whose events are not all held.
 */
export async function addEventJobs(queue: Queue, lane: string, events: QueuedEvent[], opts: JobsOptions, marks?: readonly HeldMark[]): Promise<void> {
  const parts = chunk(events, EVENTS_PER_JOB);
  const jobIds = marks ? markedJobIds(parts, marks) : undefined;
  const client = await queue.getBackend().client;
  const pipeline = client.pipeline();
  for (let i = 0; i < parts.length; i++) {
    const jobId = jobIds?.[i];
    void new Job(queue, 'events', { events: parts[i] }, jobId ? { ...opts, jobId } : opts, jobId).addJob(pipeline);
  }
  // A mark not sent (some of its events in no job of this write: never, as callers use it) stays false.
  const sent = marks?.map((mark) => {
    const ids: string[] = [];
    let found = 0;
    for (let i = 0; i < parts.length; i++) {
      const count = countHeld(parts[i], mark.events);
      if (count && jobIds![i]) ids.push(jobIds![i]!);
      found += count;
    }
    if (found !== mark.events.length) return false;
    (pipeline as unknown as { eval(...args: unknown[]): void }).eval(MARK_HELD, 3, mark.record, queue.toKey('wait'), queue.toKey('active'), String(mark.generation), ...ids);
    return true;
  });
  let replies: [Error | null, unknown][];
  try {
    replies = ((await pipeline.exec()) ?? []) as [Error | null, unknown][];
  } catch (err) {
    replies = parts.map(() => [err as Error, null]);
  }
  if (marks) {
    let reply = parts.length;
    for (let m = 0; m < marks.length; m++) {
      if (!sent![m]) continue;
      const [err, marked] = replies[reply++] ?? [];
      marks[m].marked = !err && marked === 1;
    }
  }
  const error = joinOutcomes(
    lane,
    parts.map((part, i) => {
      const [err, id] = replies[i] ?? [new Error('no answer from Redis for the job'), null];
      if (err) return { events: part, error: err, unknown: !neverWritten(err) };
      // BullMQ's add script answers a negative code instead of an id when it refused the job.
      if (typeof id === 'number' && id < 0) return { events: part, error: new Error(`BullMQ refused the job (code ${id})`), unknown: false };
      return { events: part };
    }),
  );
  if (error) throw error;
}

/** A fresh job id for each part that holds an event of some mark; undefined for the others. */
function markedJobIds(parts: readonly QueuedEvent[][], marks: readonly HeldMark[]): (string | undefined)[] {
  return parts.map((part) => (marks.some((m) => countHeld(part, m.events) > 0) ? `${MARKED_JOB_PREFIX}${++markedJobs}` : undefined));
}

/** How many of `events` (by identity) are in `part`. */
function countHeld(part: readonly QueuedEvent[], events: readonly QueuedEvent[]): number {
  let count = 0;
  for (const e of events) if (part.includes(e)) count++;
  return count;
}

export { EnqueueError };
