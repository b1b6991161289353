import type { QueuedEvent } from '../queue.port';

/**
 * An Idempotency-Key record to be marked held by the broker write that carries the request's
 * events, when the record and the broker live in one Redis (IDEMPOTENCY_STORE=redis with
 * QUEUE_DRIVER=bullmq). The driver sends the mark on the same connection, right behind the jobs,
 * and the mark takes effect only if every job holding `events` is listed when it runs (MARK_HELD):
 * a refused or unknown write leaves the record pending. A driver that cannot do this ignores the
 * mark; `marked` stays false and the caller marks the record itself (one more round trip).
 */
export interface HeldMark {
  /** The record's Redis key. */
  readonly record: string;
  readonly generation: number;
  /** The request's events, all of one lane (the objects handed to the driver). */
  readonly events: readonly QueuedEvent[];
  /** Set once Redis answered that the record says held. */
  marked: boolean;
}

/** How far from the head of a lane's wait or active list a just-added job is looked for. */
export const MARK_SEARCH_DEPTH = 1000;

/**
 * Marks the record (KEYS[1]) held if it still has generation ARGV[1] and, given a lane's wait and
 * active lists (KEYS[2], KEYS[3]), every job id ARGV[2..] is listed in one of them near the head
 * (BullMQ pushes a new job at the wait list's head and moves it to the active list's head). A
 * listed job was wholly added: its script got past the push, so a worker will get it. Not found
 * (not written, refused, or already done and removed) leaves the record pending, and the caller
 * marks it itself if the write's answer said held. With KEYS[1] alone: the store's own markHeld.
 */
export const MARK_HELD = `
if #KEYS == 3 then
  for i = 2, #ARGV do
    if not redis.call('LPOS', KEYS[2], ARGV[i], 'MAXLEN', ${MARK_SEARCH_DEPTH})
      and not redis.call('LPOS', KEYS[3], ARGV[i], 'MAXLEN', ${MARK_SEARCH_DEPTH}) then
      return 0
    end
  end
end
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local r = cjson.decode(v)
if tostring(r.g) ~= ARGV[1] then return 0 end
r.held = true
redis.call('SET', KEYS[1], cjson.encode(r), 'KEEPTTL')
return 1
`;
