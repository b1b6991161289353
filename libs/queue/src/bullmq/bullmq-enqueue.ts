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
 * Adds the events as jobs of at most EVENTS_PER_JOB, each job on its own (one Lua script each,
 * written back to back on one connection), so the outcome is known per job: one refused job fails
 * only its own events. Resolves when every job is held; otherwise rejects with an EnqueueError
 * that says which events are held and which are unknown.
 *
 * `marks` go on the same connection, right behind the jobs (held-mark.ts): Redis runs a connection's
 * commands in order, so each mark finds its jobs listed if they were wholly added; `marked` is set
 * when Redis says the record is now held. No mark can mark a record whose events are not all held.
 */
export async function addEventJobs(queue: Queue, lane: string, events: QueuedEvent[], opts: JobsOptions, marks?: readonly HeldMark[]): Promise<void> {
  const parts = chunk(events, EVENTS_PER_JOB);
  const jobIds = marks ? markedJobIds(parts, marks) : undefined;
  const client = await queue.getBackend().client;
  // Each add is written to the socket as it is called (no await before its command), so the marks
  // below follow the jobs on the wire. Not an ioredis pipeline: building one per write (it binds
  // every script BullMQ defined) cost more CPU than the socket writes it saves.
  const adds = parts.map((part, i) => {
    const jobId = jobIds?.[i];
    return new Job(queue, 'events', { events: part }, jobId ? { ...opts, jobId } : opts, jobId).addJob(client);
  });
  const marked = marks?.map((mark) => sendMark(client as unknown as RedisEval, queue, mark, parts, jobIds!));
  const settled = await Promise.allSettled(adds);
  if (marks) for (let m = 0; m < marks.length; m++) marks[m].marked = (await marked![m]) === 1;
  const error = joinOutcomes(
    lane,
    settled.map((s, i) =>
      s.status === 'fulfilled' ? { events: parts[i] } : { events: parts[i], error: s.reason, unknown: !neverWritten(s.reason) },
    ),
  );
  if (error) throw error;
}

interface RedisEval {
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

/**
 * Sends one mark behind the jobs; resolves with Redis's answer (1: marked), 0 when not sent (some
 * of its events in no job of this write: never, as callers use it) or when the command failed.
 */
function sendMark(client: RedisEval, queue: Queue, mark: HeldMark, parts: readonly QueuedEvent[][], jobIds: readonly (string | undefined)[]): Promise<unknown> {
  const ids: string[] = [];
  let found = 0;
  for (let i = 0; i < parts.length; i++) {
    const count = countHeld(parts[i], mark.events);
    if (count && jobIds[i]) ids.push(jobIds[i]!);
    found += count;
  }
  if (found !== mark.events.length) return Promise.resolve(0);
  return client.eval(MARK_HELD, 3, mark.record, queue.toKey('wait'), queue.toKey('active'), String(mark.generation), ...ids).catch(() => 0);
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
