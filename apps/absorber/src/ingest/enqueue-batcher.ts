import { Inject, Injectable } from '@nestjs/common';
import { Lane } from '../../../../libs/config/src';
import { QUEUE_DRIVER, QueueDriver, QueuedEvent } from '../../../../libs/queue/src';

interface Pending {
  events: QueuedEvent[];
  waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }>;
}

/**
 * Micro-batches enqueues across concurrent requests: everything that arrives in one turn of the
 * event loop goes to the broker in one write per lane. The wait is bounded by that turn (no
 * timer), and each request still resolves only after the broker acknowledged its events.
 */
@Injectable()
export class EnqueueBatcher {
  private pending = new Map<Lane, Pending>();
  private scheduled = false;

  constructor(@Inject(QUEUE_DRIVER) private readonly driver: QueueDriver) {}

  enqueue(lane: Lane, events: QueuedEvent[]): Promise<void> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(lane);
      if (!batch) {
        batch = { events: [], waiters: [] };
        this.pending.set(lane, batch);
      }
      for (const e of events) batch.events.push(e);
      batch.waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batches = this.pending;
    this.pending = new Map();
    this.scheduled = false;
    for (const [lane, batch] of batches) {
      this.driver.enqueue(lane, batch.events).then(
        () => batch.waiters.forEach((w) => w.resolve()),
        (err) => batch.waiters.forEach((w) => w.reject(err)),
      );
    }
  }
}
