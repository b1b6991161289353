import { Injectable } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { EntityManager } from 'typeorm';
import { EventHandler, HandlesEvents } from '../apps/worker/src/handlers/event-handler';
import { LANES } from '@spillway/config';
import { QUEUE_DRIVER, QueueDriver, QueuedEvent } from '@spillway/queue';
import { startAbsorber, startWorker } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix, waitFor } from './support/env';
import { appendEffects, EffectLog } from './support/effect-log';
import { Ledger } from './support/ledger';

/** Fails while `broken` is set, to stand in for a bug that a later deploy fixes. */
@Injectable()
@HandlesEvents('test.flaky')
class FlakyHandler implements EventHandler {
  static broken = true;
  static calls = 0;
  async handle(events: QueuedEvent[], tx: EntityManager): Promise<void> {
    FlakyHandler.calls++;
    if (FlakyHandler.broken) throw new Error('flaky handler is broken');
    await appendEffects(tx, events.map((e) => e.id));
    await tx.query('INSERT INTO events (id, type, lane, data, received_at) SELECT id, $2, $3, $4, now() FROM unnest($1::text[]) AS id', [
      events.map((e) => e.id),
      'test.flaky',
      events[0].lane,
      '{}',
    ]);
  }
}

/** Its effect is an append to a table without a unique key: a second application reads 2. */
@Injectable()
@HandlesEvents('test.counted')
class CountingHandler implements EventHandler {
  async handle(events: QueuedEvent[], tx: EntityManager): Promise<void> {
    await appendEffects(tx, events.map((e) => e.id));
  }
}

describe.each(DRIVERS)('ingest -> %s -> worker -> Postgres (real broker and Postgres)', (driverName) => {
  const env = { QUEUE_DRIVER: driverName, QUEUE_PREFIX: uniquePrefix('pipeline'), MAX_ATTEMPTS: '3', RETRY_BASE_MS: '50' };
  const config = testConfig(env);
  let absorber: NestFastifyApplication;
  let worker: NestFastifyApplication;
  let driver: QueueDriver;
  const ledger = new Ledger();
  const effects = new EffectLog();
  const post = (body: unknown, idempotencyKey?: string) => {
    const req = request(absorber.getHttpServer()).post('/v1/events').send(body as object);
    return idempotencyKey ? req.set('Idempotency-Key', idempotencyKey) : req;
  };

  beforeAll(async () => {
    if (driverName === 'sqs') await ensureSqsQueues(env);
    await effects.setup();
    absorber = await startAbsorber(config);
    worker = await startWorker(config, [FlakyHandler, CountingHandler]);
    driver = absorber.get(QUEUE_DRIVER);
  });
  afterAll(async () => {
    await worker.close();
    await absorber.close();
    await ledger.close();
    await effects.close();
  });

  it('turns an event on each lane into one processed_events row and one stored effect', async () => {
    const ids: string[] = [];
    for (const lane of LANES) {
      const res = await post({ type: 'order.created', data: { lane }, priority: lane }).expect(202);
      expect(res.body.lane).toBe(lane);
      ids.push(res.body.id);
    }
    await waitFor('all lanes processed', () => ledger.allProcessed(ids));
    const rows = await ledger.rows(ids);
    expect(rows.map((r) => r.lane).sort()).toEqual([...LANES].sort());
    expect(rows.every((r) => r.attempts === 1 && r.type === 'order.created')).toBe(true);
    expect(await ledger.storedCount(ids)).toBe(3);
    // The rows above are keyed by the event id, so they read 1 even if an event were applied
    // twice; a counted event on each lane shows each applied once where no key folds a repeat.
    const counted: string[] = [];
    for (const lane of LANES) counted.push((await post({ type: 'test.counted', data: {}, priority: lane }).expect(202)).body.id);
    await waitFor('the counted events processed', () => ledger.allProcessed(counted));
    expect(await effects.counts(counted)).toEqual(new Map(counted.map((id) => [id, 1])));
  });

  it('stores the payload, key and receipt time exactly as sent', async () => {
    const data = { text: 'quote " backslash \\ newline \n unicode é ✓', nested: { list: [1, null, true, { deep: 'x' }] } };
    const withKey = await post({ type: 'order.noted', data, key: 'customer-7' }).expect(202);
    const withoutKey = await post({ type: 'order.noted', data: {} }).expect(202);
    const ids = [withKey.body.id, withoutKey.body.id];
    await waitFor('both stored', async () => (await ledger.storedCount(ids)) === 2);
    const rows = new Map((await ledger.stored(ids)).map((r) => [r.id, r]));
    expect(rows.get(withKey.body.id)).toMatchObject({ type: 'order.noted', lane: 'normal', event_key: 'customer-7', data });
    expect(rows.get(withoutKey.body.id)).toMatchObject({ event_key: null, data: {} });
    expect(Math.abs(rows.get(withKey.body.id)!.received_at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('processes an idempotent repeat once', async () => {
    const key = `repeat-${Date.now()}`;
    const first = await post({ type: 'test.counted', data: {} }, key).expect(202);
    const second = await post({ type: 'test.counted', data: {} }, key).expect(202);
    expect(second.body.id).toBe(first.body.id);
    await waitFor('the event processed', () => ledger.allProcessed([first.body.id]));
    expect(await effects.counts([first.body.id])).toEqual(new Map([[first.body.id, 1]]));
  });

  it('has no second effect when the same event is delivered twice', async () => {
    const res = await post({ type: 'test.counted', data: {} }).expect(202);
    await waitFor('first delivery processed', () => ledger.allProcessed([res.body.id]));
    const [row] = await ledger.rows([res.body.id]);
    const again: QueuedEvent = { id: res.body.id, type: 'test.counted', lane: row.lane as QueuedEvent['lane'], data: {}, receivedAt: new Date().toISOString() };
    // A new event beside it, twice: the delivery claims only the newcomer, so the handler must be
    // given the newcomer once and the applied event not at all.
    const newcomer: QueuedEvent = { ...again, id: randomUUID(), lane: 'normal' };
    // The same event twice in one delivery, then once more in a delivery of its own.
    await driver.enqueue('normal', [again, newcomer, again, newcomer]);
    await driver.enqueue('normal', [again]);
    await waitFor('the newcomer processed', () => ledger.allProcessed([newcomer.id]));
    await waitFor('both redeliveries consumed', async () => {
      const depth = await driver.depth('normal');
      return depth.waiting + depth.active === 0;
    });
    // Counted where no unique key hides a repeat: one row per application.
    expect(await effects.counts([res.body.id, newcomer.id])).toEqual(new Map([[res.body.id, 1], [newcomer.id, 1]]));
  });

  it('retries a failing handler, dead-letters it after MAX_ATTEMPTS with its error, and redrives it once fixed', async () => {
    FlakyHandler.broken = true;
    FlakyHandler.calls = 0;
    const good = await post({ type: 'order.created', data: {}, priority: 'low' }).expect(202);
    const bad = await post({ type: 'test.flaky', data: {}, priority: 'low' }).expect(202);
    const dead = await waitFor('a dead letter', async () => {
      const letters = await driver.deadLetters('low', 10);
      return letters.find((l) => l.events.some((e) => e.id === bad.body.id));
    });
    expect(dead.attempts).toBe(3);
    expect(dead.lastError).toContain('flaky handler is broken');
    expect(FlakyHandler.calls).toBeGreaterThanOrEqual(3);
    expect(await ledger.allProcessed([bad.body.id])).toBe(false);
    // Its batch-mate (if the two shared a delivery) was not held back.
    await waitFor('the good event processed', () => ledger.allProcessed([good.body.id]));
    expect((await driver.depth('low')).deadLettered).toBeGreaterThanOrEqual(1);

    FlakyHandler.broken = false;
    expect(await driver.redrive('low')).toBeGreaterThanOrEqual(1);
    await waitFor('the redriven event processed', () => ledger.allProcessed([bad.body.id]));
    expect((await ledger.counts([bad.body.id, good.body.id])).get(good.body.id)).toBe(1);
    expect(await ledger.storedCount([bad.body.id])).toBe(1);
    // Applied once after the redrive, counted where no key folds a repeat (the failed attempts
    // rolled back their appends with their transactions).
    expect(await effects.counts([bad.body.id])).toEqual(new Map([[bad.body.id, 1]]));
    expect(await driver.deadLetters('low', 10)).toEqual([]);
  });

  it('reports the worker ready and its metrics on its health endpoint', async () => {
    const res = await request(worker.getHttpServer()).get('/health/ready').expect(200);
    expect(res.body.info.broker).toEqual({ status: 'up', driver: driverName });
    // An event of its own: this case must pass alone too (mutation testing runs only the cases that
    // reach a mutant).
    const own = await post({ type: 'test.counted', data: {}, priority: 'low' }).expect(202);
    await waitFor('the event processed', () => ledger.allProcessed([own.body.id]));
    const metrics = await request(worker.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/spillway_events_processed_total\{lane="low"\} [1-9]/);
    expect(metrics.text).toMatch(/spillway_queue_depth\{lane="critical",state="waiting"\} 0/);
  });
});
