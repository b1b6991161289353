import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Lane } from '@spillway/config';
import { QueueDriver, QueuedEvent } from '@spillway/queue';
import { waitFor } from './env';

export function queued(lane: Lane, id: string): QueuedEvent {
  return { id, type: 'test.ops', lane, data: {}, receivedAt: new Date().toISOString() };
}

/** A dead letter made the real way: the driver's own consumer fails it on its last attempt. */
export async function makeDeadLetter(driver: QueueDriver, lane: Lane, id: string, error: string): Promise<void> {
  await driver.enqueue(lane, [queued(lane, id)]);
  const consumer = await driver.consume(lane, async () => {
    throw new Error(error);
  }, { concurrency: 1 });
  try {
    await waitFor(`dead letter ${id}`, async () => (await driver.deadLetters(lane, 50)).some((d) => d.events.some((e) => e.id === id)));
  } finally {
    await consumer.close();
  }
}

/** A plain HTTP server answering every request with `answer()`; closed by the returned function. */
export async function serve(answer: () => Promise<{ status: number; body: string }>): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    answer().then(
      (a) => res.writeHead(a.status, { 'content-type': 'text/plain' }).end(a.body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}
