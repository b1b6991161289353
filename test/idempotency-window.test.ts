import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import request from 'supertest';
import { loadConfig } from '@spillway/config';
import { IDEMPOTENCY_STORE, IdempotencyStore, QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { startAbsorber, startWorker } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { sleep, testConfig, uniquePrefix, waitFor } from './support/env';
import { Ledger } from './support/ledger';
import { TcpProxy } from './faults/support/tcp-proxy';
import { ANONYMOUS_TENANT } from '../apps/absorber/src/ingest/api-key.guard';

/**
 * The Idempotency-Key window on both stores (BullMQ: Redis; SQS: Postgres), with a 2 s window and
 * 4 s retention. Event ids derive from the key, so counting ledger rows alone would make a repeat
 * look right even with no store at all: these tests count what reached the broker.
 */
describe.each(DRIVERS)('Idempotency-Key window (%s)', (driverName) => {
  const prefix = uniquePrefix('idem');
  const env = { QUEUE_DRIVER: driverName, QUEUE_PREFIX: prefix, IDEMPOTENCY_WINDOW_SECONDS: '2', IDEMPOTENCY_RETENTION_SECONDS: '4', LANE_HIGH_WATER: '0' };
  let absorber: NestFastifyApplication;
  let driver: QueueDriver;
  const ledger = new Ledger();
  const type = `idem.${randomBytes(4).toString('hex')}`;
  const post = (key: string, n = 0) =>
    request(absorber.getHttpServer()).post('/v1/events').set('Idempotency-Key', key).send({ type, data: { n }, priority: 'low' });
  const waiting = async () => (await driver.depth('low')).waiting;
  /** Retries a 409 (an earlier request with the key still awaiting the broker) until definite. */
  const settle = async (res: request.Response, key: string) => {
    while (res.status === 409) {
      // Well inside the 2 s window even on a loaded machine: a retry after it would make a new event.
      await sleep(200);
      res = await post(key);
    }
    return res;
  };

  beforeAll(async () => {
    if (driverName === 'sqs') await ensureSqsQueues(env);
    absorber = await startAbsorber(testConfig(env));
    driver = absorber.get(QUEUE_DRIVER);
  });
  afterAll(async () => {
    await absorber.close();
    await ledger.close();
  });

  it('two concurrent requests with one key enqueue one event and answer one id', async () => {
    const key = `concurrent-${randomBytes(4).toString('hex')}`;
    const before = await waiting();
    const [a, b] = await Promise.all([post(key), post(key)]);
    const answers = [await settle(a, key), await settle(b, key)];
    expect(answers.map((r) => r.status)).toEqual([202, 202]);
    expect(answers[1].body.id).toBe(answers[0].body.id);
    expect(await waiting()).toBe(before + 1);
  });

  it('a record left pending (its request never heard back): 409 while that request may still be waiting, then a retry enqueues', async () => {
    const key = `pending-${randomBytes(4).toString('hex')}`;
    // What a request leaves behind when its absorber dies between the reservation and the broker's answer.
    // The Redis store refuses commands until its connection is up (no offline queue); run alone,
    // this case is the first to use it, right after the absorber started.
    const store = absorber.get<IdempotencyStore>(IDEMPOTENCY_STORE);
    await waitFor('the store to answer', () => store.reserve(ANONYMOUS_TENANT, key, Math.floor(Date.now() / 2000)).then(() => true));
    const young = await post(key);
    expect(young.status).toBe(409);
    expect(young.body.message).toMatch(/still awaiting the broker; retry with the same key/);
    expect(young.headers['retry-after']).toBe('1');
    // Past ENQUEUE_TIMEOUT_MS (1000) + 250 ms no request can still be waiting on it; still within the 2 s window.
    await sleep(1400);
    const before = await waiting();
    await post(key).expect(202);
    expect(await waiting()).toBe(before + 1);
  });

  it('keeps the record in its store, held once the broker took the event', async () => {
    // The other cases count ids and SQS's approximate depth, which the store-down path (ids from
    // the time generation) can satisfy too: the idempotency mutation run found the Postgres store
    // could be broken outright with every SQS case passing. Ask the store itself.
    const key = `stored-${randomBytes(4).toString('hex')}`;
    expect((await settle(await post(key), key)).status).toBe(202);
    const record = await absorber.get<IdempotencyStore>(IDEMPOTENCY_STORE).reserve(ANONYMOUS_TENANT, key, 0);
    expect(record).toMatchObject({ held: true, fresh: false });
  });

  it('a repeat within the window answers the same id and enqueues nothing', async () => {
    const key = `repeat-${randomBytes(4).toString('hex')}`;
    const first = await settle(await post(key), key);
    const before = await waiting();
    const again = await settle(await post(key), key);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(await waiting()).toBe(before);
  });

  it('a key reused after the window makes a new event, and the worker applies both', async () => {
    const key = `reuse-${randomBytes(4).toString('hex')}`;
    const first = await settle(await post(key, 1), key);
    await sleep(2500);
    const second = await settle(await post(key, 2), key);
    expect(second.status).toBe(202);
    expect(second.body.id).not.toBe(first.body.id);
    const worker = await startWorker(testConfig(env));
    try {
      await waitFor('both events applied', () => ledger.allProcessed([first.body.id, second.body.id]), 30_000, 200);
    } finally {
      await worker.close();
    }
  });

  it('keeps records for the retention and no longer (enforced by the project)', async () => {
    const key = `retained-${randomBytes(4).toString('hex')}`;
    await settle(await post(key), key);
    const store = absorber.get<IdempotencyStore>(IDEMPOTENCY_STORE);
    if (driverName === 'bullmq') {
      const redis = new IORedis(loadConfig().redisUrl);
      try {
        const [ttl] = await Promise.all([redis.pttl((await redis.keys(`${prefix}:idem:*:${key}`))[0])]);
        expect(ttl).toBeGreaterThan(2000); // kept past the 2 s window...
        expect(ttl).toBeLessThanOrEqual(4000); // ...until the 4 s retention, then Redis drops it
      } finally {
        redis.disconnect();
      }
    } else {
      const pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 1 });
      const rows = async () => Number((await pool.query('SELECT count(*) AS n FROM idempotency_keys WHERE key = $1', [key])).rows[0].n);
      try {
        await sleep(2500); // past the window, inside the retention: kept
        await store.sweep();
        expect(await rows()).toBe(1);
        await sleep(2000); // past the retention
        await store.sweep();
        expect(await rows()).toBe(0);
      } finally {
        await pool.end();
      }
    }
  });
});

describe('an idempotency store that cannot be reached does not refuse ingest (SQS: Postgres store)', () => {
  it('answers 202 while the Postgres holding the records is unreachable, and a retry in the window gets the same id', async () => {
    const pg = new URL(loadConfig().databaseUrl);
    const proxy = await TcpProxy.start({ host: pg.hostname, port: Number(pg.port || 5432) });
    pg.port = String(proxy.port);
    const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('idemdown'), DATABASE_URL: pg.toString(), ENQUEUE_TIMEOUT_MS: '500' };
    await ensureSqsQueues(env);
    const absorber = await startAbsorber(testConfig(env));
    try {
      await proxy.cut();
      const send = () => request(absorber.getHttpServer()).post('/v1/events').set('Idempotency-Key', 'store-down').send({ type: 'idem.down', data: {} });
      const res = await send();
      expect(res.status).toBe(202);
      // With no record, the id comes from the key and the window's number: a retry in the window
      // (the default is a day) gets the same id, so the ledger still applies the event once.
      const retry = await send();
      expect(retry.status).toBe(202);
      expect(retry.body.id).toBe(res.body.id);
    } finally {
      await proxy.restore();
      await absorber.close();
      await proxy.cut();
    }
  });
});
