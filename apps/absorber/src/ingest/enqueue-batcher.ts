import { Inject, Injectable } from '@nestjs/common';
import { Lane, SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { InFlightBoundError } from './errors';
import { EnqueueError, HeldMark, QUEUE_DRIVER, QueueDriver, QueuedEvent, withTimeout } from '@spillway/queue';

/**
 * One lane's events of this turn, and the one promise every request in it waits on. It never
 * rejects: it resolves with the write's error (undefined when every event is held), and each
 * request reads the fate of its own events from it with `outcomeOf`.
 */
class Pending {
  readonly events: QueuedEvent[] = [];
  /** Idempotency-Key records the write may mark held with its jobs (held-mark.ts). */
  marks?: HeldMark[];
  readonly settled: Promise<unknown>;
  settle!: (error?: unknown) => void;

  constructor() {
    this.settled = new Promise<unknown>((resolve) => (this.settle = resolve));
  }
}

/**
 * Micro-batches enqueues across concurrent requests: everything that arrives in one turn of the
 * event loop goes to the broker in one write per lane. Requests of one batch share one promise.
 *
 * Two bounds keep every answer true while the broker is slow:
 * - the answer waits at most ENQUEUE_TIMEOUT_MS; a write still unanswered then makes its events'
 *   outcome "unknown" (the write may still land), never "refused";
 * - at most ENQUEUE_MAX_IN_FLIGHT events may be awaiting the broker, counting writes whose
 *   answer already went out as unknown but which have not settled; over it, a request is
 *   refused before anything of it is written.
 */
@Injectable()
export class EnqueueBatcher {
  private pending = new Map<Lane, Pending>();
  private scheduled = false;
  private inFlight = 0;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;

  constructor(@Inject(QUEUE_DRIVER) private readonly driver: QueueDriver, @Inject(SPILLWAY_CONFIG) config: SpillwayConfig) {
    this.timeoutMs = config.enqueueTimeoutMs;
    this.maxInFlight = config.enqueueMaxInFlight;
  }

  /** Events awaiting the broker right now (queued for this turn's write, or written and unanswered). */
  get eventsInFlight(): number {
    return this.inFlight;
  }

  /** Throws InFlightBoundError (nothing written) when `count` more events would pass the bound. */
  admit(count: number): void {
    if (this.inFlight + count > this.maxInFlight) {
      throw new InFlightBoundError(this.inFlight, this.maxInFlight);
    }
  }

  private batchFor(lane: Lane): Pending {
    let batch = this.pending.get(lane);
    if (!batch) {
      batch = new Pending();
      this.pending.set(lane, batch);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return batch;
  }

  /**
   * Call `admit` first. Resolves with the write's error, or undefined when all are held. `mark`:
   * the request's Idempotency-Key record, for the driver to mark held in the same write.
   */
  enqueueOne(event: QueuedEvent, mark?: HeldMark): Promise<unknown> {
    const batch = this.batchFor(event.lane);
    batch.events.push(event);
    if (mark) (batch.marks ??= []).push(mark);
    this.inFlight++;
    return batch.settled;
  }

  /** As enqueueOne, for events all of `lane`. */
  enqueue(lane: Lane, events: QueuedEvent[], mark?: HeldMark): Promise<unknown> {
    const batch = this.batchFor(lane);
    for (const e of events) batch.events.push(e);
    if (mark) (batch.marks ??= []).push(mark);
    this.inFlight += events.length;
    return batch.settled;
  }

  private flush(): void {
    const batches = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    for (const [lane, batch] of batches) {
      const count = batch.events.length;
      const write = this.driver.enqueue(lane, batch.events, batch.marks);
      void write.then(
        () => (this.inFlight -= count),
        () => (this.inFlight -= count),
      );
      withTimeout(write, this.timeoutMs, () =>
        EnqueueError.allUnknown(`the broker did not answer within ${this.timeoutMs} ms (the write may still land)`, batch.events),
      ).then(() => batch.settle(undefined), (err) => batch.settle(err));
    }
  }
}
