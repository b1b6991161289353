import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Delivery, DependencyDownError, QueuedEvent } from '@spillway/queue';
import { ClaimCheck } from '@spillway/queue/sqs/claim-check';
import { LaneConsumer, LaneConsumerOptions } from '@spillway/queue/sqs/sqs-consumer';
import { SqsMessages } from '@spillway/queue/sqs/sqs-messages';
import { QueueUrls } from '@spillway/queue/sqs/sqs-queues';
import { sleep, waitFor } from './support/env';
import { FifoSqsFake } from './support/fifo-sqs-fake';

/**
 * What the SQS lane consumer asks of SQS: how long a failure is hidden, what is handed back and
 * when, what the heartbeat extends, how deletes are batched, what close() leaves. fauxqs shows the
 * outcomes but not the calls or a message's visibility, and cannot be slowed; FifoSqsFake (SQS's
 * documented rules, see the file) records every call and shows both, so these cases run on it.
 */
describe('SQS lane consumer: its calls to SQS', () => {
  let fake: FifoSqsFake;
  let consumer: LaneConsumer | undefined;
  const event = (key?: string): QueuedEvent => ({ id: randomUUID(), type: 'consumer.test', lane: key ? 'critical' : 'normal', key, data: {}, receivedAt: new Date().toISOString() });
  const idOf = (d: Delivery) => d.events[0].id;

  beforeEach(() => {
    fake = new FifoSqsFake();
    fake.createQueue('t-normal-dlq');
    fake.createQueue('t-normal', { dlq: 't-normal-dlq', maxReceiveCount: 10 });
    fake.createQueue('t-critical-dlq.fifo');
    fake.createQueue('t-critical.fifo', { dlq: 't-critical-dlq.fifo', maxReceiveCount: 10 });
  });
  afterEach(async () => {
    await consumer?.close();
    consumer = undefined;
  });

  async function send(events: QueuedEvent[]): Promise<void> {
    const fifo = events[0].key !== undefined;
    await fake.client.send(
      new SendMessageBatchCommand({
        QueueUrl: fake.url(fifo ? 't-critical.fifo' : 't-normal'),
        Entries: events.map((e, i) => ({ Id: String(i), MessageBody: JSON.stringify({ events: [e] }), ...(fifo ? { MessageGroupId: e.key, MessageDeduplicationId: e.id } : {}) })),
      }),
    );
  }

  function start(handler: (d: Delivery) => Promise<void>, options: Partial<LaneConsumerOptions> = {}): LaneConsumer {
    const fifo = options.lane === 'critical';
    const messages = new SqsMessages(fake.client, new QueueUrls(fake.client, 't'), new ClaimCheck(undefined as never, 'unused'));
    consumer = new LaneConsumer(fake.client, messages, handler, {
      lane: 'normal', url: fake.url(fifo ? 't-critical.fifo' : 't-normal'), fifo, concurrency: 10,
      maxAttempts: 5, retryBaseMs: 1000, leaseMs: 30_000, receiveLingerMs: 0, ...options,
    });
    consumer.start();
    return consumer;
  }
  const requests = (name: string) => fake.requests.filter((r) => r.name === name);
  /** Three events of one key on the critical lane, the head failing on every try; `runs`: the ids run. */
  async function poisonHeadChain(options: Partial<LaneConsumerOptions>): Promise<{ head: QueuedEvent; runs: string[] }> {
    const [head, ...followers] = [event('k'), event('k'), event('k')];
    const runs: string[] = [];
    start(async (d) => {
      runs.push(idOf(d));
      if (idOf(d) === head.id) throw new Error('poison head');
    }, { lane: 'critical', ...options });
    await send([head, ...followers]);
    return { head, runs };
  }

  it('a failure with no followers goes back to SQS hidden for its backoff: the retry is a new receive, long before the lease', async () => {
    const e = event();
    const runs: Array<{ attempt: number; at: number }> = [];
    start(async (d) => {
      runs.push({ attempt: d.attempt, at: Date.now() });
      if (d.attempt === 1) throw new Error('first try fails');
    });
    await send([e]);
    await waitFor('the retry', async () => runs.length === 2, 5000);
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    expect(runs[1].at - runs[0].at).toBeGreaterThanOrEqual(900); // hidden 1 s: backoff(1000 ms, attempt 1)
    const hide = requests('ChangeMessageVisibility');
    expect(hide.map((r) => r.input.VisibilityTimeout)).toEqual([1]);
    expect(fake.requests.filter((r) => r.name === 'ReceiveMessage' && r.at > hide[0].at).length).toBeGreaterThan(0);
    await waitFor('the delete', async () => fake.contents('t-normal').length === 0);
    expect(fake.contents('t-normal-dlq')).toHaveLength(0);
  });

  it('a failing head retried in its chain waits out each backoff, growing with its local tries', async () => {
    const [head, follower] = [event('k'), event('k')];
    const runs: Array<{ id: string; attempt: number; at: number }> = [];
    start(async (d) => {
      runs.push({ id: idOf(d), attempt: d.attempt, at: Date.now() });
      if (idOf(d) === head.id && d.attempt < 3) throw new Error('flaky head');
    }, { lane: 'critical', retryBaseMs: 300 });
    await send([head, follower]);
    await waitFor('the follower', async () => runs.some((r) => r.id === follower.id), 10_000);
    const tries = runs.filter((r) => r.id === head.id);
    expect(tries.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(270); // backoff(300, 1)
    expect(tries[2].at - tries[1].at).toBeGreaterThanOrEqual(540); // backoff(300, 2)
    expect(requests('ReceiveMessage').length).toBeGreaterThan(0);
    expect(fake.contents('t-critical.fifo').filter((m) => m.receiveCount > 1)).toHaveLength(0); // retried here, no new receive
  });

  it('close() during a chain\'s backoff returns at once and hands the head and its followers back, visible, charged nothing more', async () => {
    const { head, runs } = await poisonHeadChain({ retryBaseMs: 20_000 });
    await waitFor('the head\'s first try', async () => runs.length === 1);
    await sleep(200);
    const started = Date.now();
    await consumer!.close();
    consumer = undefined;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(runs).toEqual([head.id]);
    expect(fake.contents('t-critical.fifo').map((m) => m.receiveCount)).toEqual([1, 1, 1]);
    expect(fake.visibleNow('t-critical.fifo')).toEqual([true, true, true]);
  });

  it('a head that fails while the consumer closes holds its followers back: they are handed back unrun', async () => {
    const [head, ...followers] = [event('k'), event('k'), event('k')];
    const runs: string[] = [];
    let release!: () => void;
    const closing = new Promise<void>((r) => (release = r));
    start(async (d) => {
      runs.push(idOf(d));
      if (idOf(d) === head.id) {
        await closing;
        throw new Error('failed during close');
      }
    }, { lane: 'critical' });
    await send([head, ...followers]);
    await waitFor('the head in its handler', async () => runs.length === 1);
    const closed = consumer!.close();
    consumer = undefined;
    await sleep(100);
    release();
    await closed;
    expect(runs).toEqual([head.id]);
    // The head: hidden for its backoff (its next receive is its next attempt); the followers: visible now, on their one receive.
    expect(fake.contents('t-critical.fifo').map((m) => m.receiveCount)).toEqual([1, 1, 1]);
    expect(fake.visibleNow('t-critical.fifo')).toEqual([false, true, true]);
  });

  it('a head whose dead-lettering fails (its DLQ is gone) holds its followers back', async () => {
    fake.queues.delete('t-critical-dlq.fifo');
    const { head, runs } = await poisonHeadChain({ maxAttempts: 1 });
    await waitFor('the followers handed back', async () => requests('ChangeMessageVisibilityBatch').length > 0);
    await sleep(300);
    expect(runs).toEqual([head.id]);
    expect(requests('ChangeMessageVisibilityBatch')[0].input.Entries.map((x: { VisibilityTimeout: number }) => x.VisibilityTimeout)).toEqual([0, 0]);
  });

  it('closing while the database is down hands the delivery back to its lease, and never dead-letters it, even on its last attempt', async () => {
    let runs = 0;
    start(async () => {
      runs++;
      throw new DependencyDownError('database unavailable (test)', 100);
    }, { maxAttempts: 1 });
    await send([event()]);
    await waitFor('a few dependency-down runs', async () => runs >= 2);
    await consumer!.close();
    consumer = undefined;
    expect(fake.contents('t-normal').map((m) => m.receiveCount)).toEqual([1]);
    // The delivery policy's hand-back: left hidden to its lease, since a receive now would likely
    // find the database still down and be charged (fix: it was made visible at once).
    expect(fake.visibleNow('t-normal')).toEqual([false]);
    expect(requests('ChangeMessageVisibility')).toEqual([]);
    expect(fake.contents('t-normal-dlq')).toHaveLength(0);
  });

  it('closing while the database is down holds a chain\'s followers back: only the head ran, the head left to its lease, its followers visible at once', async () => {
    const [head, ...followers] = [event('k'), event('k'), event('k')];
    const runs: string[] = [];
    start(async (d) => {
      runs.push(idOf(d));
      throw new DependencyDownError('database unavailable (test)', 100);
    }, { lane: 'critical' });
    await send([head, ...followers]);
    await waitFor('a few dependency-down runs', async () => runs.length >= 2);
    await consumer!.close();
    consumer = undefined;
    expect(new Set(runs)).toEqual(new Set([head.id]));
    expect(fake.contents('t-critical.fifo').map((m) => m.receiveCount)).toEqual([1, 1, 1]);
    expect(fake.visibleNow('t-critical.fifo')).toEqual([false, true, true]);
  });

  it('while the database is down the lane receives nothing new', async () => {
    const [a, b, c] = [event(), event(), event()];
    let downUntil = Infinity;
    const firstRun = new Map<string, number>();
    start(async (d) => {
      if (!firstRun.has(idOf(d))) firstRun.set(idOf(d), Date.now());
      if (Date.now() < downUntil) throw new DependencyDownError('database unavailable (test)', 300);
    });
    downUntil = Date.now() + 60_000;
    await send([a]);
    await waitFor('a\'s first run', async () => firstRun.has(a.id));
    downUntil = Date.now() + 2000;
    await sleep(100);
    await send([b]); // may be taken by the long poll already waiting
    await sleep(300);
    await send([c]);
    await waitFor('every event applied', async () => fake.contents('t-normal').length === 0, 10_000);
    expect(firstRun.get(c.id)!).toBeGreaterThanOrEqual(downUntil); // received only once a and b have run
  });

  it('the heartbeat extends only deliveries that run long: none for quick ones, and a long one is never received twice', async () => {
    const runs: string[] = [];
    const quick = Array.from({ length: 30 }, () => event());
    start(async (d) => {
      runs.push(idOf(d));
      await sleep(d.events[0].data.long ? 4000 : 100); // quick: a fifth of the heartbeat's period
    }, { concurrency: 2, leaseMs: 1500 }); // heartbeat every 500 ms, visibility 2 s
    await send(quick);
    await waitFor('the quick ones', async () => fake.contents('t-normal').length === 0, 10_000);
    expect(requests('ChangeMessageVisibilityBatch')).toHaveLength(0);
    const long = { ...event(), data: { long: true } };
    await send([long]);
    await waitFor('the long one', async () => fake.contents('t-normal').length === 0, 10_000);
    expect(runs.filter((id) => id === long.id)).toHaveLength(1);
    expect(requests('ChangeMessageVisibilityBatch').length).toBeGreaterThanOrEqual(3);
    expect(fake.requests.filter((r) => r.name === 'ChangeMessageVisibilityBatch').every((r) => r.input.Entries.length === 1)).toBe(true);
  });

  it('deletes share a call: ten quick deliveries, one DeleteMessageBatch of ten, and close() waits for a slow one', async () => {
    start(async () => undefined);
    await send(Array.from({ length: 10 }, () => event()));
    await waitFor('the deletes', async () => fake.contents('t-normal').length === 0);
    await sleep(100);
    expect(requests('DeleteMessageBatch').map((r) => r.input.Entries.length)).toEqual([10]);
    expect((consumer as unknown as { pendingDeletes: Set<unknown> }).pendingDeletes.size).toBe(0); // a Set that only grew would leak

    fake.deleteDelayMs = 500;
    await send([event()]);
    await waitFor('the last delivery done', async () => requests('DeleteMessageBatch').length === 2, 5000);
    await consumer!.close();
    consumer = undefined;
    expect(fake.contents('t-normal')).toHaveLength(0);
    expect(requests('DeleteMessageBatch').map((r) => r.input.Entries.length)).toEqual([10, 1]);
  });

  it('runs at most its concurrency over two long polls, and asks for no more than its free slots, none while all are busy', async () => {
    let active = 0;
    let most = 0;
    start(async () => {
      most = Math.max(most, ++active);
      await sleep(300);
      active--;
    }, { concurrency: 20 }); // two long polls of up to ten
    for (let i = 0; i < 4; i++) await send(Array.from({ length: 10 }, () => event()));
    await waitFor('every event', async () => fake.contents('t-normal').length === 0, 10_000);
    expect(most).toBeLessThanOrEqual(20);
    expect(most).toBeGreaterThan(10);
    const asked = requests('ReceiveMessage').map((r) => r.input.MaxNumberOfMessages);
    expect(asked.every((n) => n >= 1 && n <= 10)).toBe(true);
  });

  it('a receive that fails is tried again after a second, never spun, and puts nothing in flight; an empty one neither', async () => {
    let runs = 0;
    start(async () => void runs++, { maxAttempts: 1 });
    const queue = fake.queues.get('t-normal')!;
    fake.queues.delete('t-normal'); // every receive now fails
    await sleep(2500);
    const failed = requests('ReceiveMessage').length;
    expect(failed).toBeGreaterThanOrEqual(2);
    expect(failed).toBeLessThanOrEqual(4);
    fake.queues.set('t-normal', queue);
    await sleep(2500); // at least one long poll (2 s here) comes back empty
    expect(runs).toBe(0);
    expect(fake.contents('t-normal-dlq')).toHaveLength(0);
    // close() aborts the long poll and does not wait out the failed receive's second.
    const started = Date.now();
    await consumer!.close();
    consumer = undefined;
    expect(Date.now() - started).toBeLessThan(700);
  });

  it('a short receive waits receiveLingerMs before the next, so that it finds a fuller batch; an empty one goes again at once', async () => {
    const ran: number[] = [];
    start(async () => void ran.push(Date.now()), { receiveLingerMs: 400 });
    await sleep(4300); // two empty long polls (2 s each here)
    const idle = requests('ReceiveMessage').map((r) => r.at);
    expect(idle.length).toBeGreaterThanOrEqual(3);
    expect(idle[2] - idle[1]).toBeLessThan(2300);
    await send([event()]);
    await waitFor('the event', async () => ran.length === 1);
    await sleep(600);
    const next = requests('ReceiveMessage').find((r) => r.at > ran[0]);
    expect(next!.at - ran[0]).toBeGreaterThanOrEqual(350);
  });
});
