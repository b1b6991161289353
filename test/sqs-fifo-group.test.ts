import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Delivery, QueuedEvent } from '@spillway/queue';
import { ClaimCheck } from '@spillway/queue/sqs/claim-check';
import { LaneConsumer } from '@spillway/queue/sqs/sqs-consumer';
import { SqsMessages } from '@spillway/queue/sqs/sqs-messages';
import { QueueUrls } from '@spillway/queue/sqs/sqs-queues';
import { sleep, waitFor } from './support/env';
import { FifoSqsFake } from './support/fifo-sqs-fake';

const event = (key: string, i: number): QueuedEvent => ({
  id: randomUUID(), type: 'fifo.test', lane: 'critical', key, data: { i }, receivedAt: new Date().toISOString(),
});

/**
 * The critical lane against a FIFO queue that hands out several messages of one group per receive,
 * as real SQS does (see FifoSqsFake for why the emulator cannot be used here).
 */
describe('SQS FIFO lane: several messages of one group in one receive', () => {
  const MAX_ATTEMPTS = 3;
  let fake: FifoSqsFake;
  let consumer: LaneConsumer | undefined;

  beforeEach(() => {
    fake = new FifoSqsFake();
    fake.createQueue('t-critical-dlq.fifo');
    fake.createQueue('t-critical.fifo', { dlq: 't-critical-dlq.fifo', maxReceiveCount: MAX_ATTEMPTS });
  });
  afterEach(async () => {
    await consumer?.close();
    consumer = undefined;
  });

  async function sendGroup(events: QueuedEvent[]): Promise<void> {
    await fake.client.send(
      new SendMessageBatchCommand({
        QueueUrl: fake.url('t-critical.fifo'),
        Entries: events.map((e, i) => ({ Id: String(i), MessageBody: JSON.stringify({ events: [e] }), MessageGroupId: e.key, MessageDeduplicationId: e.id })),
      }),
    );
  }

  function start(handler: (d: Delivery) => Promise<void>): void {
    const urls = new QueueUrls(fake.client, 't');
    const messages = new SqsMessages(fake.client, urls, new ClaimCheck(undefined as never, 'unused'));
    consumer = new LaneConsumer(fake.client, messages, handler, {
      lane: 'critical', url: fake.url('t-critical.fifo'), fifo: true, concurrency: 10,
      maxAttempts: MAX_ATTEMPTS, retryBaseMs: 100, leaseMs: 2000, receiveLingerMs: 0,
    });
    consumer.start();
  }

  it('a failing head costs its followers no receive, and they run (in order) once it is dead-lettered', async () => {
    const [head, ...followers] = [0, 1, 2, 3].map((i) => event('k', i));
    await sendGroup([head, ...followers]);
    const runs: Array<{ id: string; attempt: number }> = [];
    start(async (d) => {
      for (const e of d.events) runs.push({ id: e.id, attempt: d.attempt });
      if (d.events.some((e) => e.id === head.id)) throw new Error('poison head');
    });
    await waitFor('every follower to run', async () => followers.every((f) => runs.some((r) => r.id === f.id)), 20_000);
    await sleep(500);

    // The head: tried MAX_ATTEMPTS times, then in the DLQ with its error.
    expect(runs.filter((r) => r.id === head.id).map((r) => r.attempt)).toEqual([1, 2, 3]);
    const dead = fake.contents('t-critical-dlq.fifo');
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0].body)).toMatchObject({ events: [{ id: head.id }], attempts: 3, lastError: expect.stringContaining('poison head') });
    // The followers: each ran exactly once, on its first attempt, after the head, in send order.
    expect(runs.filter((r) => r.id !== head.id)).toEqual(followers.map((f) => ({ id: f.id, attempt: 1 })));
    await waitFor('the main queue to empty', async () => fake.contents('t-critical.fifo').length === 0);
  });

  it('a head that fails then succeeds lets its followers run on their first attempt', async () => {
    const [head, ...followers] = [0, 1, 2].map((i) => event('k2', i));
    await sendGroup([head, ...followers]);
    const runs: Array<{ id: string; attempt: number }> = [];
    start(async (d) => {
      for (const e of d.events) runs.push({ id: e.id, attempt: d.attempt });
      if (d.events.some((e) => e.id === head.id) && d.attempt === 1) throw new Error('flaky head');
    });
    await waitFor('every follower to run', async () => followers.every((f) => runs.some((r) => r.id === f.id)), 20_000);
    expect(runs).toEqual([
      { id: head.id, attempt: 1 },
      { id: head.id, attempt: 2 },
      ...followers.map((f) => ({ id: f.id, attempt: 1 })),
    ]);
    expect(fake.contents('t-critical-dlq.fifo')).toHaveLength(0);
  });
});
