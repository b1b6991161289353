import { randomUUID } from 'node:crypto';
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueueDriver, queueName, QueuedEvent } from '@spillway/queue';
import { freshDriver } from './support/drivers';
import { waitFor } from './support/env';

/**
 * The SQS dead-letter queue as `queue:redrive --list`, the console and `dead-letters discard` see
 * it (fauxqs). Letters are written straight to the DLQ in the two shapes found there: the
 * driver's copy (events, attempts, last error, time) and a message SQS's redrive policy moved
 * (events only).
 */
describe('SQS dead letters: listing, counting and discarding', () => {
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: process.env.SQS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let driver: QueueDriver;
  let dlq: string;
  const maxAttempts = 3;

  beforeEach(async () => {
    driver = await freshDriver('sqs', { MAX_ATTEMPTS: String(maxAttempts) });
    const prefix = (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix;
    dlq = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(prefix, 'normal', true) }))).QueueUrl!;
  });
  afterEach(() => driver.close());
  afterAll(() => sqs.destroy());

  const event = (): QueuedEvent => ({ id: randomUUID(), type: 'dlq.test', lane: 'normal', data: {}, receivedAt: new Date().toISOString() });
  /** One letter per event; `copy`: the driver's own shape, else what SQS's redrive policy moves. */
  async function letters(n: number, copy = true): Promise<QueuedEvent[]> {
    const events = Array.from({ length: n }, event);
    for (let i = 0; i < n; i += 10) {
      const part = events.slice(i, i + 10);
      const body = (e: QueuedEvent) => JSON.stringify(copy ? { events: [e], attempts: maxAttempts, lastError: 'Error: boom', failedAt: '2026-12-01T00:00:00.000Z' } : { events: [e] });
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlq, Entries: part.map((e, k) => ({ Id: String(k), MessageBody: body(e) })) }));
    }
    return events;
  }
  /** The driver's calls to SQS from now on: each command's name and, for a batch, its entry count. */
  function record(): Array<{ command: string; entries?: number }> {
    const calls: Array<{ command: string; entries?: number }> = [];
    const producer = (driver as unknown as { producer: SQSClient }).producer;
    producer.middlewareStack.add(
      (next, context) => async (args) => {
        const entries = (args.input as { Entries?: unknown[] }).Entries;
        calls.push({ command: String(context.commandName), ...(entries ? { entries: entries.length } : {}) });
        return next(args);
      },
      { step: 'initialize' },
    );
    return calls;
  }
  const idsOf = (list: Array<{ events: QueuedEvent[] }>) => list.flatMap((l) => l.events.map((e) => e.id)).sort();

  it('lists every letter past one receive\'s ten, stops at the limit, and counts a letter hidden by a receive', async () => {
    const events = await letters(12);
    expect(idsOf(await driver.deadLetters('normal', 100))).toEqual(events.map((e) => e.id).sort());
    expect(await driver.deadLetters('normal', 5)).toHaveLength(5);
    // Listing makes every letter visible again at once; one someone is looking at still counts.
    await waitFor('all 12 visible again', async () => (await driver.depth('normal')).deadLettered === 12);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 1, VisibilityTimeout: 30 }));
    expect(got.Messages).toHaveLength(1);
    expect((await driver.depth('normal')).deadLettered).toBe(12);
  });

  it('a letter SQS\'s redrive policy moved shows MAX_ATTEMPTS attempts, no failure time, and why it has no error', async () => {
    const [e] = await letters(1, false);
    const [letter] = await driver.deadLetters('normal', 10);
    expect(letter.events.map((x) => x.id)).toEqual([e.id]);
    expect(letter).toMatchObject({ lane: 'normal', attempts: maxAttempts, failedAt: new Date(0).toISOString() });
    expect(letter.lastError).toMatch(/^moved by the SQS redrive policy after 3 receives without a recorded failure/);
  });

  it('discards by id only the letters asked for, and nothing for an id it does not hold', async () => {
    const events = await letters(3);
    const listed = await driver.deadLetters('normal', 10);
    const target = listed.find((l) => l.events[0].id === events[1].id)!;
    expect(await driver.discardDeadLetters('normal', [target.id])).toBe(1);
    expect(await driver.discardDeadLetters('normal', ['no-such-letter'])).toBe(0);
    expect(idsOf(await driver.deadLetters('normal', 10))).toEqual([events[0].id, events[2].id].sort());
    expect(await driver.discardDeadLetters('normal')).toBe(2);
    expect(await driver.deadLetters('normal', 10)).toEqual([]);
  });

  it('a discard by id stops once it holds what it was asked for, and gives back only the letters it keeps', async () => {
    const events = await letters(3);
    const listed = await driver.deadLetters('normal', 10);
    const target = listed.find((l) => l.events[0].id === events[0].id)!;
    const calls = record();
    expect(await driver.discardDeadLetters('normal', [target.id])).toBe(1);
    // One receive took all three: the one asked for is deleted, the other two go back, no second receive.
    expect(calls).toEqual([
      { command: 'ReceiveMessageCommand' },
      { command: 'DeleteMessageBatchCommand', entries: 1 },
      { command: 'ChangeMessageVisibilityBatchCommand', entries: 2 },
    ]);
    calls.length = 0;
    // Only letters it was not asked about come back: they go back at once, and it stops.
    expect(await driver.discardDeadLetters('normal', ['no-such-letter'])).toBe(0);
    expect(calls).toEqual([{ command: 'ReceiveMessageCommand' }, { command: 'ChangeMessageVisibilityBatchCommand', entries: 2 }]);
  });
});
