import type { Lane } from '@spillway/config';
import { outcomeOf } from '../enqueue-outcome';
import { BrokerUnavailableError } from '../errors';
import type { HeldMark } from '../idempotency/held-mark';
import type { QueuedEvent } from '../queue.port';

interface Waiter {
  events: QueuedEvent[];
  marks: readonly HeldMark[] | undefined;
  since: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface LaneState {
  busy: boolean;
  waiting: Waiter[];
}

/**
 * Group commit per lane: one write to a lane is in flight at a time, and enqueues that arrive
 * while it is out wait for it, then go out together as one write. Idle, nothing waits (the first
 * enqueue is written at once); busy, each write carries what arrived during the last one.
 *
 * Why: the absorber's batcher writes what one event-loop turn holds, and at a moderate rate a turn
 * holds one or two requests, so each event was a BullMQ job of its own. Every job is a Lua script
 * (fsynced with `appendfsync always`) to add, and a fetch, two moves and a Postgres transaction
 * for the worker: at 2,000 events/s on the bench's two CPUs that work was what the absorber's
 * answers waited behind (docs/benchmark.md, "Where the fixed-rate tail comes from").
 *
 * An enqueue that waited longer than `staleMs` (ENQUEUE_TIMEOUT_MS) behind a slow write is refused
 * before anything of it is written, as the SQS driver does; each caller learns the fate of its own
 * events from the shared write's answer.
 */
export class LaneWrites {
  private readonly lanes = new Map<Lane, LaneState>();

  constructor(
    private readonly write: (lane: Lane, events: QueuedEvent[], marks: readonly HeldMark[] | undefined) => Promise<void>,
    private readonly staleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  enqueue(lane: Lane, events: QueuedEvent[], marks?: readonly HeldMark[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let state = this.lanes.get(lane);
      if (!state) this.lanes.set(lane, (state = { busy: false, waiting: [] }));
      state.waiting.push({ events, marks, since: this.now(), resolve, reject });
      if (!state.busy) void this.drain(lane, state);
    });
  }

  private async drain(lane: Lane, state: LaneState): Promise<void> {
    state.busy = true;
    while (state.waiting.length) {
      const stale = this.now() - this.staleMs;
      const group = state.waiting.splice(0).filter((w) => {
        if (w.since >= stale) return true;
        w.reject(new BrokerUnavailableError(`enqueue to ${lane} waited over ${this.staleMs} ms behind a slow Redis write; nothing of it was written`));
        return false;
      });
      if (!group.length) continue;
      const events = group.length === 1 ? group[0].events : group.flatMap((w) => w.events);
      const marks = group.length === 1 ? group[0].marks : marksOf(group);
      try {
        await this.write(lane, events, marks);
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) {
          if (w.events.every((e) => outcomeOf(err, e.id) === 'held')) w.resolve();
          else w.reject(err);
        }
      }
    }
    state.busy = false;
  }
}

function marksOf(group: readonly Waiter[]): HeldMark[] | undefined {
  let marks: HeldMark[] | undefined;
  for (const w of group) if (w.marks) (marks ??= []).push(...w.marks);
  return marks;
}
