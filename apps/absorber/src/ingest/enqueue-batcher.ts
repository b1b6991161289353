import { Inject, Injectable } from '@nestjs/common';
import { Lane } from '../../../../libs/config/src';
import { QUEUE_DRIVER, QueueDriver, QueuedEvent } from '../../../../libs/queue/src';

/** One lane's events of this turn, and the one promise every request in it waits on. */
class Pending {
  readonly events: QueuedEvent[] = [];
  readonly written: Promise<void>;
  resolve!: () => void;
  reject!: (err: unknown) => void;

  constructor() {
    this.written = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * Micro-batches enqueues across concurrent requests: everything that arrives in one turn of the
 * event loop goes to the broker in one write per lane. The wait is bounded by that turn (no
 * timer), and each request still resolves only after the broker acknowledged its events.
 * Requests of one batch share one promise, so a request costs an array push, not a promise and
 * a waiter of its own.
 */
@Injectable()
export class EnqueueBatcher {
  private pending = new Map<Lane, Pending>();
  private scheduled = false;

  constructor(@Inject(QUEUE_DRIVER) private readonly driver: QueueDriver) {}

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

  enqueueOne(event: QueuedEvent): Promise<void> {
    const batch = this.batchFor(event.lane);
    batch.events.push(event);
    return batch.written;
  }

  enqueue(lane: Lane, events: QueuedEvent[]): Promise<void> {
    const batch = this.batchFor(lane);
    for (const e of events) batch.events.push(e);
    return batch.written;
  }

  private flush(): void {
    const batches = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    for (const [lane, batch] of batches) this.driver.enqueue(lane, batch.events).then(batch.resolve, batch.reject);
  }
}
