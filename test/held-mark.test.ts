import IORedis from 'ioredis';
import { Admission } from '../apps/absorber/src/ingest/admission';
import { Clock } from '../apps/absorber/src/ingest/clock';
import { EnqueueBatcher } from '../apps/absorber/src/ingest/enqueue-batcher';
import { EventIds } from '../apps/absorber/src/ingest/event-ids';
import { EventWriter } from '../apps/absorber/src/ingest/event-writer';
import { IdempotencyGate } from '../apps/absorber/src/ingest/idempotency-gate';
import { laneShedderFor } from '../apps/absorber/src/ingest/ingest.providers';
import { IngestService } from '../apps/absorber/src/ingest/ingest.service';
import { Metrics } from '@spillway/health';
import { LaneRouter, SpillwayConfig } from '@spillway/config';
import { createIdempotencyStore, IdempotencyStore, QueueDriver, QueuedEvent } from '@spillway/queue';
import { MARK_HELD } from '../libs/queue/src/idempotency/held-mark';
import { freshDriver } from './support/drivers';
import { testConfig, uniquePrefix, waitFor } from './support/env';

/**
 * With the Redis store beside BullMQ, a keyed request's record is marked held on the job write's
 * connection, right behind the job (libs/queue/src/idempotency/held-mark.ts): one round trip less
 * per keyed request, and the mark takes effect only for jobs Redis has listed.
 */
describe('an Idempotency-Key record marked held in the job write [bullmq, redis store]', () => {
  let config: SpillwayConfig;
  let driver: QueueDriver;
  let store: IdempotencyStore;
  let redis: IORedis;
  let service: IngestService;
  let markHeldCalls = 0;

  beforeAll(async () => {
    config = testConfig({ QUEUE_DRIVER: 'bullmq', IDEMPOTENCY_STORE: 'redis', QUEUE_PREFIX: uniquePrefix('hmark') });
    driver = await freshDriver('bullmq', { QUEUE_PREFIX: config.queuePrefix });
    const real = await createIdempotencyStore(config);
    await waitFor('the idempotency store answering', () => real.reserve('warm-up', `k-${Date.now()}`, 0).then(() => true, () => false));
    const markHeld = real.markHeld.bind(real);
    store = Object.assign(Object.create(real) as IdempotencyStore, {
      markHeld: (...args: Parameters<IdempotencyStore['markHeld']>) => {
        markHeldCalls++;
        return markHeld(...args);
      },
    });
    redis = new IORedis(config.redisUrl);
    const batcher = new EnqueueBatcher(driver, config);
    const shedder = laneShedderFor(config, driver);
    service = new IngestService(
      new LaneRouter(config.laneRoutes),
      new Admission(config, shedder, batcher),
      new IdempotencyGate(config, store),
      new EventIds(),
      new EventWriter(batcher, shedder, new Metrics(driver)),
      new Clock(),
    );
  });
  afterAll(async () => {
    await driver?.close();
    await store?.close();
    redis?.disconnect();
  });

  const newKey = () => `k-${Date.now()}-${Math.random()}`;

  it('marks a single event and a one-lane batch in the write (no markHeld); a repeat answers from the record', async () => {
    markHeldCalls = 0;
    const key = newKey();
    const [first] = await service.accept({ events: [{ type: 'order.created', data: { n: 1 } }], tenant: 'tenant-a', idempotencyKey: key });
    const batchKey = newKey();
    const batch = () =>
      service.accept({
        events: [1, 2, 3].map((n) => ({ type: 'order.created', data: { n } })),
        tenant: 'tenant-a',
        idempotencyKey: batchKey,
        indexIds: true,
      });
    const firstBatch = await batch();
    expect(first.outcome).toBe('held');
    expect(firstBatch.map((r) => r.outcome)).toEqual(['held', 'held', 'held']);
    expect(markHeldCalls).toBe(0);
    const before = await driver.depth(first.lane);
    const [again] = await service.accept({ events: [{ type: 'order.created', data: { n: 1 } }], tenant: 'tenant-a', idempotencyKey: key });
    expect(again).toEqual(first);
    expect(await batch()).toEqual(firstBatch);
    const after = await driver.depth(first.lane);
    expect(after.waiting + after.active).toBe(before.waiting + before.active);
  });

  it('marks a batch over two lanes after the write, as before (one markHeld)', async () => {
    markHeldCalls = 0;
    const key = newKey();
    const send = () =>
      service.accept({
        events: [
          { type: 'order.created', data: {}, priority: 'critical' },
          { type: 'order.created', data: {}, priority: 'low' },
        ],
        tenant: 'tenant-a',
        idempotencyKey: key,
        indexIds: true,
      });
    const first = await send();
    expect(new Set(first.map((r) => r.lane)).size).toBe(2);
    expect(markHeldCalls).toBe(1);
    expect(await send()).toEqual(first);
  });

  describe('the mark script (MARK_HELD)', () => {
    const lane = 'normal';
    const keys = () => [`${config.queuePrefix}:${lane}:wait`, `${config.queuePrefix}:${lane}:active`];
    const event = { id: 'e', type: 't', lane, data: {}, receivedAt: '' } as QueuedEvent;

    async function reserved(): Promise<{ record: string; generation: number }> {
      const key = newKey();
      const r = await store.reserve('tenant-m', key, 7);
      return { record: store.heldMark!('tenant-m', key, r.generation!, [event]).record, generation: r.generation! };
    }
    const isHeld = async (record: string) => (JSON.parse((await redis.get(record))!) as { held: boolean }).held;
    const mark = (record: string, generation: number, ...jobIds: string[]) =>
      redis.eval(MARK_HELD, 3, record, ...keys(), String(generation), ...jobIds) as Promise<number>;

    it('marks when every job is listed in the wait or the active list', async () => {
      const { record, generation } = await reserved();
      await redis.lpush(keys()[0], 'job-w');
      await redis.lpush(keys()[1], 'job-a');
      expect(await mark(record, generation, 'job-w', 'job-a')).toBe(1);
      expect(await isHeld(record)).toBe(true);
    });

    it('leaves the record pending when a job was stored but never listed (its add script failed half way)', async () => {
      const { record, generation } = await reserved();
      await redis.lpush(keys()[0], 'job-w2');
      await redis.hset(`${config.queuePrefix}:${lane}:job-half`, 'data', '{}');
      expect(await mark(record, generation, 'job-w2', 'job-half')).toBe(0);
      expect(await isHeld(record)).toBe(false);
    });

    it('leaves a record of another generation alone', async () => {
      const { record, generation } = await reserved();
      await redis.lpush(keys()[0], 'job-w3');
      expect(await mark(record, generation + 1, 'job-w3')).toBe(0);
      expect(await isHeld(record)).toBe(false);
    });
  });
});
