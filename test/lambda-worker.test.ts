import { Injectable } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DeleteQueueCommand } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import request from 'supertest';
import type { EntityManager } from 'typeorm';
import { DeliveryProcessor } from '../apps/worker/src/delivery.processor';
import { EventHandler, HandlesEvents } from '../apps/worker/src/handlers/event-handler';
import { MalformedEventError } from '../apps/worker/src/handlers/malformed-event.error';
import { LambdaEntry } from '../apps/worker/src/lambda/lambda-entry';
import { HANDLERS } from '../apps/worker/src/worker.module';
import { Lane } from '@spillway/config';
import { QUEUE_DRIVER, QueuedEvent, queueName } from '@spillway/queue';
import type { SqsDriver } from '@spillway/queue/sqs/sqs.driver';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues } from './support/drivers';
import { appendEffects, EffectLog } from './support/effect-log';
import { testConfig, testEnv, uniquePrefix, waitFor } from './support/env';
import { eventIdsOf, EventSourceMapping, lambdaContext, sqsEvent } from './support/lambda-events';
import { Ledger } from './support/ledger';

/** Its effect is an append to a table without a unique key: a second application reads 2. */
@Injectable()
@HandlesEvents('test.counted')
class CountingHandler implements EventHandler {
  async handle(events: QueuedEvent[], tx: EntityManager): Promise<void> {
    await appendEffects(tx, events.map((e) => e.id));
  }
}

@Injectable()
@HandlesEvents('test.poison')
class PoisonHandler implements EventHandler {
  async handle(): Promise<void> {
    throw new Error('poison event: this handler always fails');
  }
}

@Injectable()
@HandlesEvents('test.malformed')
class MalformedHandler implements EventHandler {
  async handle(events: QueuedEvent[]): Promise<void> {
    throw new MalformedEventError(events[0], 'no "amount" field');
  }
}

/** Records the most of its deliveries in their handler at once (each holds its pooled connection 300 ms). */
@Injectable()
@HandlesEvents('test.overlap')
class OverlapHandler implements EventHandler {
  static running = 0;
  static most = 0;
  async handle(): Promise<void> {
    OverlapHandler.most = Math.max(OverlapHandler.most, ++OverlapHandler.running);
    await new Promise((r) => setTimeout(r, 300));
    OverlapHandler.running--;
  }
}

/**
 * The Lambda entry point, in-process, on SQS batches built from messages the absorber really sent
 * through the SQS emulator (fauxqs), shaped as Lambda's event source mapping shapes them.
 */
describe('Lambda worker: SQS batches from the absorber, through the worker handlers', () => {
  // ENQUEUE_TIMEOUT_MS: the claim-checked event's 1.1 MB PUT to S3 takes longer than the 1 s default on a loaded machine.
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('lambda'), MAX_ATTEMPTS: '3', RETRY_BASE_MS: '2000', BODY_LIMIT_BYTES: String(2 * 1024 * 1024), ENQUEUE_TIMEOUT_MS: '10000' };
  const config = testConfig(env);
  const entry = new LambdaEntry([...HANDLERS, CountingHandler, PoisonHandler, MalformedHandler, OverlapHandler], testEnv({ ...env, WORKER_LANES: 'critical,normal', DB_POOL_MAX: '4' }));
  const ledger = new Ledger();
  const effects = new EffectLog();
  let absorber: NestFastifyApplication;
  let client: ReturnType<typeof EventSourceMapping.client>;
  const mapping = (lane: Lane) => new EventSourceMapping(client, queueName(config.queuePrefix, lane), config.awsRegion);

  const post = async (type: string, lane: Lane, extra: { key?: string; data?: object } = {}): Promise<string> => {
    const res = await request(absorber.getHttpServer())
      .post('/v1/events')
      .send({ type, data: extra.data ?? {}, priority: lane, ...(extra.key ? { key: extra.key } : {}) })
      .expect(202);
    return res.body.id;
  };
  /** Receives the messages of these events (the absorber sent them one message each). */
  const batchOf = (lane: Lane, ids: string[]) => mapping(lane).receiveEvents(ids);
  const idOf = (record: SQSRecord) => eventIdsOf(record)[0];
  /** The event's record as received for the third time, attempt MAX_ATTEMPTS (3): two leases lost first. */
  const onLastAttempt = async (id: string): Promise<SQSRecord> => {
    let [record] = await batchOf('normal', [id]);
    for (let i = 0; i < 2; i++) {
      await mapping('normal').release(record);
      [record] = await batchOf('normal', [id]);
    }
    expect(record.attributes.ApproximateReceiveCount).toBe('3');
    return record;
  };

  beforeAll(async () => {
    await ensureSqsQueues(env);
    await effects.setup();
    absorber = await startAbsorber(config);
    client = EventSourceMapping.client(config.sqsEndpoint!, config.awsRegion);
  });
  afterAll(async () => {
    await entry.close();
    await absorber.close();
    client.destroy();
    await ledger.close();
    await effects.close();
  });

  it('a clean batch: every event applied once, no record returned', async () => {
    const ids = [await post('test.counted', 'normal'), await post('test.counted', 'normal'), await post('order.created', 'normal')];
    const records = await batchOf('normal', ids);
    expect(records).toHaveLength(3);

    const response = await entry.handle(sqsEvent(records), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await ledger.counts(ids)).toEqual(new Map(ids.map((id) => [id, 1])));
    expect(await effects.counts(ids.slice(0, 2))).toEqual(new Map(ids.slice(0, 2).map((id) => [id, 1])));
    expect(await ledger.storedCount([ids[2]])).toBe(1);
    await mapping('normal').settle(records, response);
  });

  // Two pooled connections per chain (DB_POOL_MAX 4 here: 2 chains): a delivery holds one, and its
  // failure path asks Postgres on another whether it is up. More chains than that and a handler's
  // error could pass for an outage (lambda-batch-intake run: one runner per chain survived).
  it('runs at most DB_POOL_MAX / 2 chains at once, however many records the batch holds', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await post('test.overlap', 'normal'));
    const records = await batchOf('normal', ids);
    OverlapHandler.most = 0;
    const response = await entry.handle(sqsEvent(records), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    expect(OverlapHandler.most).toBe(2);
    expect(await ledger.counts(ids)).toEqual(new Map(ids.map((id) => [id, 1])));
    await mapping('normal').settle(records, response);
  });

  it('a poison record: only it is returned (and hidden for its backoff); the others are applied', async () => {
    const ids = [await post('test.counted', 'normal'), await post('test.poison', 'normal'), await post('test.counted', 'normal')];
    const records = await batchOf('normal', ids);
    const poison = records.find((r) => idOf(r) === ids[1])!;

    const response = await entry.handle(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
    expect(await effects.counts([ids[0], ids[2]])).toEqual(new Map([[ids[0], 1], [ids[2], 1]]));
    expect(await ledger.counts([ids[1]])).toEqual(new Map());
    await mapping('normal').settle(records, response);

    // The pod worker's backoff for attempt 1 (RETRY_BASE_MS): not back at once, back after it.
    const sentBackAt = Date.now();
    expect(await mapping('normal').receive()).toEqual([]);
    const [again] = await waitFor('the poison message to come back', async () => {
      const got = await mapping('normal').receive();
      return got.length ? got : undefined;
    });
    expect(Date.now() - sentBackAt).toBeGreaterThanOrEqual(1500);
    expect(again.messageId).toBe(poison.messageId);
    expect(again.attributes.ApproximateReceiveCount).toBe('2');
    await mapping('normal').delete(again);
  });

  it('a malformed event (MalformedEventError) is dead-lettered on its first attempt, not returned for retries', async () => {
    const ids = [await post('test.malformed', 'normal'), await post('test.counted', 'normal')];
    const records = await batchOf('normal', ids);
    expect(records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '1']);
    const response = await entry.handle(sqsEvent(records), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    await mapping('normal').settle(records, response);
    const driver = absorber.get<SqsDriver>(QUEUE_DRIVER);
    const letters = (await driver.deadLetters('normal', 10)).filter((l) => l.events.some((e) => e.id === ids[0]));
    expect(letters).toEqual([
      expect.objectContaining({ attempts: 1, lastError: expect.stringContaining(`event ${ids[0]} (test.malformed) is malformed: no "amount" field`) }),
    ]);
    expect(await effects.counts([ids[1]])).toEqual(new Map([[ids[1], 1]]));
    // Later cases count the lane's dead letters.
    expect(await driver.discardDeadLetters('normal', [letters[0].id])).toBe(1);
  });

  it('a redelivered batch: no second effect, whether the same batch comes again or a new receive of it', async () => {
    const ids = [await post('test.counted', 'normal'), await post('test.counted', 'normal')];
    const records = await batchOf('normal', ids);
    expect(await entry.handle(sqsEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    // The same batch again (a retried invocation)...
    expect(await entry.handle(sqsEvent(records), lambdaContext())).toEqual({ batchItemFailures: [] });
    // ...and a redelivery (the mapping lost the answer; the leases ran out).
    for (const r of records) await mapping('normal').release(r);
    const redelivered = await batchOf('normal', ids);
    expect(redelivered.every((r) => r.attributes.ApproximateReceiveCount === '2')).toBe(true);
    const response = await entry.handle(sqsEvent(redelivered), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await effects.counts(ids)).toEqual(new Map(ids.map((id) => [id, 1])));
    await mapping('normal').settle(redelivered, response);
  });

  /** Group k: counted, poison, counted; group g: two counted; gathered into one FIFO batch. */
  const fifoBatch = async () => {
    // Keys of this run: the poison event leaves its key fenced (key_fences) until it is dead-lettered.
    const [kKey, gKey] = [uniquePrefix('k'), uniquePrefix('g')];
    const k = [await post('test.counted', 'critical', { key: kKey }), await post('test.poison', 'critical', { key: kKey }), await post('test.counted', 'critical', { key: kKey })];
    const g = [await post('test.counted', 'critical', { key: gKey }), await post('test.counted', 'critical', { key: gKey })];
    // Lambda hands a run of one group's messages in one batch; fauxqs returns one message per
    // group per receive and holds the group while it is in flight, so the batch is gathered over
    // several receives, deleting each message to free its group. Records keep their real bodies,
    // ids and attributes; only the deleted ones' receipt handles are spent (visibility changes on
    // them fail, best effort, as on an expired lease).
    const records = await mapping('critical').receiveEvents([...k, ...g], { deleteEach: true });
    expect(records.map(idOf).filter((id) => k.includes(id))).toEqual(k);
    expect(records.map(idOf).filter((id) => g.includes(id))).toEqual(g);
    return { k, g, records };
  };
  /** Runs the batch; which deliveries reached the processor (calls go through), with their attempt. */
  const runWatched = async (records: SQSRecord[], remainingMs: number) => {
    const app = await entry.start();
    const processor = app.get(DeliveryProcessor);
    const run = vi.spyOn(processor, 'process');
    // The function's own SqsDriver, observed (it still makes each call): which records it hands
    // back and when they are due. fauxqs cannot show it here: the FIFO records' handles are spent.
    const driver = app.get<SqsDriver>(QUEUE_DRIVER) as unknown as { setVisibility(lane: Lane, handles: string[], seconds: number): Promise<void> };
    const visibility = vi.spyOn(driver, 'setVisibility');
    const response = await entry.handle(sqsEvent(records), lambdaContext(remainingMs));
    const ran = run.mock.calls.map(([d]) => ({ id: d.events[0].id, attempt: d.attempt }));
    const handedBack = visibility.mock.calls.map(([lane, handles, seconds]) => ({ lane, handles, seconds }));
    run.mockRestore();
    visibility.mockRestore();
    return { response, ran, handedBack };
  };

  it('FIFO: a head failing with time left is retried in the invocation until dead-lettered, then the rest of its group runs (no follower charged a receive it never ran)', async () => {
    const { k, g, records } = await fifoBatch();
    // 60 s left: the backoffs after attempts 1 and 2 (2 s, 4 s) fit; attempt 3 is the last.
    const { response, ran } = await runWatched(records, 60_000);
    expect(ran.filter((r) => k.includes(r.id))).toEqual([
      { id: k[0], attempt: 1 },
      { id: k[1], attempt: 1 },
      { id: k[1], attempt: 2 },
      { id: k[1], attempt: 3 },
      { id: k[2], attempt: 1 },
    ]);
    expect(ran.filter((r) => g.includes(r.id)).map((r) => r.id)).toEqual(g);
    // Fix: nothing returned; before the one delivery policy the follower went back charged, unrun.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await effects.counts([...k, ...g])).toEqual(new Map([[k[0], 1], [k[2], 1], [g[0], 1], [g[1], 1]]));
    const letters = await absorber.get<SqsDriver>(QUEUE_DRIVER).deadLetters('critical', 10);
    expect(letters.filter((l) => l.events.some((e) => e.id === k[1]))).toEqual([expect.objectContaining({ attempts: 3, lastError: expect.stringContaining('poison event') })]);
  });

  it('FIFO: a head failing with too little time left for its backoff returns the rest of that group unrun; another group goes on', async () => {
    const { k, g, records } = await fifoBatch();
    // 4.9 s left: after the 3 s margin, under the 2 s backoff of attempt 1, so the head goes back.
    const { response, ran, handedBack } = await runWatched(records, 4900);
    // The key's fence alone would also keep the follower's effect out, but only after running it as a failed delivery.
    expect(ran.filter((r) => k.includes(r.id)).map((r) => r.id)).toEqual([k[0], k[1]]);
    expect(ran.filter((r) => g.includes(r.id)).map((r) => r.id)).toEqual(g);
    const byEvent = new Map(records.map((r) => [idOf(r), r.messageId]));
    // The poison record and the one after it in group k; nothing of group g.
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([byEvent.get(k[1]), byEvent.get(k[2])].sort());
    // The head due again after its backoff, the follower at once: not both left to their lease
    // (the group held for the whole lease), which the response alone cannot tell (lambda-batch
    // mutation run: the time left counted 3 s over, or the follower's handles lost, survived).
    const handle = new Map(records.map((r) => [idOf(r), r.receiptHandle]));
    expect(handedBack).toEqual([
      { lane: 'critical', handles: [handle.get(k[1])], seconds: 2 },
      { lane: 'critical', handles: [handle.get(k[2])], seconds: 0 },
    ]);
    expect(await effects.counts([...k, ...g])).toEqual(new Map([[k[0], 1], [g[0], 1], [g[1], 1]]));
    expect(await ledger.counts([k[1], k[2]])).toEqual(new Map());
  });

  it('a claim check: an event over the SQS limit goes to S3 and the function fetches it from there', async () => {
    const big = 'x'.repeat(1100 * 1024);
    const id = await post('test.big', 'normal', { data: { big } });
    const [record] = await waitFor('the claim-check message', async () => {
      const got = await mapping('normal').receive();
      return got.length ? got : undefined;
    });
    const body = JSON.parse(record.body);
    expect(body.events).toBeUndefined();
    expect(body.claim).toEqual({ bucket: config.payloadBucket, key: expect.stringMatching(/^events\//), bytes: expect.any(Number) });
    // The size the console shows before reading S3: the stored events, the payload and their envelope.
    expect(body.claim.bytes).toBeGreaterThan(big.length);

    const response = await entry.handle(sqsEvent([record]), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    const [stored] = await ledger.stored([id]);
    expect((stored.data as { big: string }).big).toHaveLength(big.length);
    await mapping('normal').settle([record], response);
  });

  it('the last attempt dead-letters: the DLQ holds the copy with its error, and the record is not returned', async () => {
    const id = await post('test.poison', 'normal');
    const record = await onLastAttempt(id);

    const response = await entry.handle(sqsEvent([record]), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    await mapping('normal').settle([record], response);
    const driver = absorber.get<SqsDriver>(QUEUE_DRIVER);
    const letters = await driver.deadLetters('normal', 10);
    expect(letters).toEqual([expect.objectContaining({ lane: 'normal', attempts: 3, lastError: expect.stringContaining('poison event'), events: [expect.objectContaining({ id })] })]);
  });

  it('FIFO: two groups\' last attempts in one batch each leave their own dead-letter copy (group and dedupe id of their own)', async () => {
    const ids = [await post('test.poison', 'critical', { key: uniquePrefix('dl1') }), await post('test.poison', 'critical', { key: uniquePrefix('dl2') })];
    const records = await mapping('critical').receiveEvents(ids, { deleteEach: true });
    // Their last attempt, as if received MAX_ATTEMPTS times (the FIFO case above shows the emulator's receives).
    for (const r of records) r.attributes.ApproximateReceiveCount = env.MAX_ATTEMPTS;
    const response = await entry.handle(sqsEvent(records), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    const letters = await absorber.get<SqsDriver>(QUEUE_DRIVER).deadLetters('critical', 10);
    expect(letters.flatMap((l) => l.events.map((e) => e.id)).filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
  });

  it('an unreadable body: dead-lettered on its first attempt (unrecoverable) with the body and why (cut to 8,000 characters), not returned', async () => {
    const [record] = await batchOf('normal', [await post('test.counted', 'normal')]);
    // 200 KiB: whole, the error text would take a copy of it past SQS's message size.
    const marker = `not json ${uniquePrefix('u')}`;
    const body = `${marker} ${'x'.repeat(200 * 1024)}`;
    expect(record.attributes.ApproximateReceiveCount).toBe('1');
    const response = await entry.handle(sqsEvent([{ ...record, body }]), lambdaContext());
    expect(response).toEqual({ batchItemFailures: [] });
    await mapping('normal').delete(record);
    const letters = await absorber.get<SqsDriver>(QUEUE_DRIVER).deadLetters('normal', 10);
    const [letter, ...others] = letters.filter((l) => l.lastError?.includes(`\n${marker} xxx`));
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ attempts: 1, events: [], lastError: expect.stringMatching(/^unreadable message body: UnrecoverableError: not JSON: Unexpected token/) });
    expect(letter.lastError).toHaveLength(8000);
  });

  it('a batch reached with under the time margin left: every record returned unrun, nothing applied', async () => {
    const ids = [await post('test.counted', 'normal'), await post('test.counted', 'normal')];
    const records = await batchOf('normal', ids);
    // 2 s left, under the 3 s the handler keeps back to write dead letters and answer in time.
    const response = await entry.handle(sqsEvent(records), lambdaContext(2000));
    expect(new Set(response.batchItemFailures.map((f) => f.itemIdentifier))).toEqual(new Set(records.map((r) => r.messageId)));
    expect(await effects.counts(ids)).toEqual(new Map());
    expect(await ledger.counts(ids)).toEqual(new Map());
    for (const r of records) await mapping('normal').delete(r);
  });

  it('the last attempt with a dead-letter queue that cannot be written: the record is returned, not counted done', async () => {
    const id = await post('test.poison', 'normal');
    const record = await onLastAttempt(id);
    // The dead-letter queue is gone, so the copy cannot be written: counting the record done would
    // delete the only copy of the event.
    const dlq = new EventSourceMapping(client, queueName(config.queuePrefix, 'normal', true), config.awsRegion);
    await client.send(new DeleteQueueCommand({ QueueUrl: await dlq.url }));
    try {
      const response = await entry.handle(sqsEvent([record]), lambdaContext());
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    } finally {
      await ensureSqsQueues(env);
      await mapping('normal').delete(record);
    }
  });

  it("refuses a record from a queue that is not one of WORKER_LANES' queues", async () => {
    const id = await post('test.counted', 'low');
    const records = await batchOf('low', [id]);
    const response = await entry.handle(sqsEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0].messageId }]);
    expect(await ledger.counts([id])).toEqual(new Map());
    await mapping('low').delete(records[0]);
  });

  it('refuses to start on another queue driver, or without WORKER_LANES, saying which', async () => {
    const bullmq = new LambdaEntry(HANDLERS, testEnv({ QUEUE_DRIVER: 'bullmq', WORKER_LANES: 'normal' }));
    await expect(bullmq.handle(sqsEvent([]), lambdaContext())).rejects.toThrow(/QUEUE_DRIVER: the Lambda worker handles SQS batches; set QUEUE_DRIVER=sqs \(got "bullmq"\)/);
    const { WORKER_LANES: _, ...noLanes } = testEnv({ QUEUE_DRIVER: 'sqs' });
    const unnamed = new LambdaEntry(HANDLERS, noLanes);
    await expect(unnamed.handle(sqsEvent([]), lambdaContext())).rejects.toThrow(/WORKER_LANES: not set; name the lane\(s\) whose queue feeds this function/);
  });
});
