import { waitFor } from '../support/env';
import { Ledger } from '../support/ledger';
import { Stack } from './support/stack';

describe('keys and payloads never reach the logs', () => {
  let stack: Stack;
  const ledger = new Ledger();
  afterAll(async () => {
    await stack.stop();
    await ledger.close();
  });

  it('at LOG_LEVEL=trace, through accepted, refused and processed requests', async () => {
    const apiKey = 'sk-live-4c9e1f0b7d2a8e6c3b5d7f9a1c2e';
    const marker = 'card-4111111111111111';
    // LOG_FILE unset: the lines on the processes' stdout, read below.
    stack = await Stack.start({ LOG_LEVEL: 'trace', LOG_FILE: '', INGEST_API_KEYS: apiKey });
    const absorber = await stack.addAbsorber();
    const worker = await stack.addWorker();
    const send = (key: string, body: object) =>
      fetch(`${absorber.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
    const accepted = await send(apiKey, { type: 'order.created', data: { card: marker } });
    expect(accepted.status).toBe(202);
    expect((await send(`${apiKey}x`, { type: 'order.created', data: { card: marker } })).status).toBe(401);
    expect((await send(apiKey, { type: 'order.created', data: { card: marker }, bad: marker })).status).toBe(400);
    const { id } = (await accepted.json()) as { id: string };
    await waitFor('the event processed', () => ledger.allProcessed([id]));
    const logs = absorber.proc.output + worker.proc.output;
    expect(logs.length).toBeGreaterThan(0); // trace logging did write something
    expect(logs).not.toContain(apiKey);
    expect(logs).not.toContain(marker);
  });
});
