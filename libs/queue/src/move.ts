import type { Lane } from '@spillway/config';
import { DependencyDownError, LaneDepth, QueueDriver } from './queue.port';

/**
 * Work the lane still owes: ready, waiting out a retry backoff (delayed), or leased. A delayed
 * retry is pending, not done: it comes due after the old side's workers are gone (the cutover's
 * drain and moveLane wait for it). Dead letters are not pending: they are kept, not retried.
 */
const pending = (d: LaneDepth) => d.waiting + d.delayed + d.active;

export interface MoveOptions {
  concurrency: number;
  timeoutS: number;
  log: (line: string) => void;
}

/**
 * Moves one lane's deliveries from `source` to `target` by consuming the source with a handler
 * that enqueues on the target: a delivery leaves the source only after the target acknowledged
 * it, so an interrupted move can be run again and a delivery moved twice is applied once (the
 * workers' ledger). Delayed deliveries move when they come due. Returns the events moved.
 */
export async function moveLane(lane: Lane, source: QueueDriver, target: QueueDriver, o: MoveOptions): Promise<number> {
  let moved = 0;
  let events = 0;
  const consumer = await source.consume(
    lane,
    async (delivery) => {
      try {
        await target.enqueue(lane, delivery.events);
      } catch (err) {
        // The target is down, not the delivery bad: hand it back without spending an attempt.
        throw new DependencyDownError(`target ${target.name} unavailable: ${(err as Error).message}`, 1000);
      }
      moved++;
      events += delivery.events.length;
    },
    { concurrency: o.concurrency },
  );
  const deadline = Date.now() + o.timeoutS * 1000;
  try {
    for (;;) {
      const left = await source.depth(lane);
      o.log(`${lane}: moved ${moved} deliveries (${events} events); left ${left.waiting} waiting, ${left.delayed} delayed, ${left.active} in flight`);
      if (pending(left) === 0) break;
      if (Date.now() > deadline) throw new Error(`${lane}: timed out with ${pending(left)} deliveries left; run again to continue`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await consumer.close();
  }
  return events;
}

export { pending as pendingDeliveries };
