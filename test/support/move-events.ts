import { Lane, LANES } from '@spillway/config';
import { Delivery, QueueDriver, QueuedEvent } from '@spillway/queue';
import { waitFor } from './env';

/** Events with everything a move must keep: keys (some absent), nested data, a traceparent. */
export function moveEvents(lane: Lane, n: number, tag: string): QueuedEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${tag}-${lane}-${i}-${Math.random().toString(36).slice(2)}`,
    type: 'order.created',
    lane,
    ...(i % 5 === 0 ? {} : { key: `customer-${i % 7}` }),
    data: { i, text: `é€ "quoted" ${'x'.repeat(i % 50)}`, nested: { ok: true, list: [1, null, 'a'] } },
    receivedAt: new Date(Date.UTC(2026, 10, 30, 12, 0, i % 60)).toISOString(),
    ...(i % 3 === 0 ? { traceparent: `00-${'1'.repeat(31)}${i % 10}-${'2'.repeat(16)}-01` } : {}),
  }));
}

/** Consumes every lane of `driver` until `count` distinct events came, with each delivery's attempt. */
export async function drainAll(driver: QueueDriver, count: number): Promise<{ events: Map<string, QueuedEvent>; copies: number; deliveries: Delivery[] }> {
  const events = new Map<string, QueuedEvent>();
  const deliveries: Delivery[] = [];
  let copies = 0;
  const consumers = await Promise.all(
    LANES.map((lane) =>
      driver.consume(lane, async (d) => {
        deliveries.push(d);
        for (const e of d.events) {
          copies++;
          events.set(e.id, e);
        }
      }, { concurrency: 2 }),
    ),
  );
  try {
    await waitFor(`${count} events at the target`, async () => events.size >= count, 30_000);
    await new Promise((r) => setTimeout(r, 1500)); // a late duplicate would arrive in this time
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
  }
  return { events, copies, deliveries };
}
