import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import IORedis from 'ioredis';
import { RedisIdempotencyStore } from '../libs/queue/src/idempotency/redis-idempotency.store';
import { RedisServer } from './support/redis-server';
import { sleep, testConfig, uniquePrefix, waitFor } from './support/env';

/**
 * The Redis store (BullMQ's absorber) asked directly. Through the absorber only BullMQ's keyed
 * requests reach it, and none of them is refused: its `release`, a generation that must rise past
 * an older record's and a record written before generations existed had no case (the idempotency
 * mutation run of 2026-12-07: `release` and `sweep` without coverage).
 */
describe('Redis idempotency store', () => {
  const prefix = uniquePrefix('idemstore');
  const config = testConfig({ QUEUE_PREFIX: prefix, IDEMPOTENCY_WINDOW_SECONDS: '1', IDEMPOTENCY_RETENTION_SECONDS: '3' });
  let store: RedisIdempotencyStore;
  let redis: IORedis;
  const scope = 'tenant-a';
  const newKey = () => `k-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    store = new RedisIdempotencyStore(config);
    redis = new IORedis(config.redisUrl);
    // The store refuses commands until connected (no offline queue): wait for its first answer.
    await waitFor('the store to answer', () => store.reserve(scope, newKey(), 0).then(() => true));
  });
  afterAll(async () => {
    await store.close();
    redis.disconnect();
  });

  it('reserves once per window: the first call creates a pending record, a second finds it with its age', async () => {
    const key = newKey();
    expect(await store.reserve(scope, key, 7)).toEqual({ generation: 7, held: false, fresh: true, ageMs: 0 });
    await sleep(50);
    const again = await store.reserve(scope, key, 9);
    expect(again).toMatchObject({ generation: 7, held: false, fresh: false });
    expect(again.ageMs).toBeGreaterThanOrEqual(40);
    expect(again.ageMs).toBeLessThan(1000);
    // Another scope's record of the same key is another record.
    expect(await store.reserve('tenant-b', key, 3)).toMatchObject({ generation: 3, fresh: true });
  });

  it('marks held only the generation it reserved', async () => {
    const key = newKey();
    await store.reserve(scope, key, 4);
    await store.markHeld(scope, key, 5);
    expect(await store.reserve(scope, key, 4)).toMatchObject({ generation: 4, held: false, fresh: false });
    await store.markHeld(scope, key, 4);
    expect(await store.reserve(scope, key, 4)).toMatchObject({ generation: 4, held: true, fresh: false });
  });

  it('releases a pending record of its generation, never a held one nor another generation', async () => {
    const pending = newKey();
    await store.reserve(scope, pending, 2);
    await store.release(scope, pending, 3);
    expect(await store.reserve(scope, pending, 2)).toMatchObject({ fresh: false });
    await store.release(scope, pending, 2);
    expect(await redis.exists(`${prefix}:idem:${scope}:${pending}`)).toBe(0);
    expect(await store.reserve(scope, pending, 2)).toMatchObject({ generation: 2, held: false, fresh: true });

    const held = newKey();
    await store.reserve(scope, held, 2);
    await store.markHeld(scope, held, 2);
    await store.release(scope, held, 2);
    expect(await store.reserve(scope, held, 2)).toMatchObject({ generation: 2, held: true, fresh: false });
  });

  it('past the window a key gets a new, pending generation above the old one, kept for the retention', async () => {
    const key = newKey();
    await store.reserve(scope, key, 5);
    await store.markHeld(scope, key, 5);
    await sleep(1100); // past the 1 s window
    // A proposed generation at or below the old record's (another replica's clock) still moves past it.
    expect(await store.reserve(scope, key, 5)).toMatchObject({ generation: 6, held: false, fresh: true });
    await sleep(1100);
    expect(await store.reserve(scope, key, 10)).toMatchObject({ generation: 10, held: false, fresh: true });
    const ttl = await redis.pttl(`${prefix}:idem:${scope}:${key}`);
    expect(ttl).toBeGreaterThan(2000);
    expect(ttl).toBeLessThanOrEqual(3000);
    // Redis expires records itself: nothing for a sweep to delete.
    expect(await store.sweep()).toBe(0);
  });

  it('a record written before generations existed reads as held, with no generation', async () => {
    const key = newKey();
    await redis.set(`${prefix}:idem:${scope}:${key}`, JSON.stringify({ held: true }), 'PX', 3000);
    expect(await store.reserve(scope, key, 1)).toEqual({ generation: undefined, held: true, fresh: false, ageMs: 0 });
  });

  it('answers again after its Redis restarts, and refuses while it is down', async () => {
    const server = await RedisServer.start({ aof: false });
    const own = new RedisIdempotencyStore(testConfig({ REDIS_URL: server.url, QUEUE_PREFIX: prefix }));
    try {
      await waitFor('the store to answer', () => own.reserve(scope, newKey(), 0).then(() => true));
      await server.kill();
      await expect(own.reserve(scope, newKey(), 0)).rejects.toThrow();
      await server.restart();
      // Reconnecting every 100 ms to 1 s: answering again well within 5 s.
      await waitFor('the store to answer after the restart', () => own.reserve(scope, newKey(), 0).then(() => true), 5000);
    } finally {
      await own.close();
      await server.kill();
    }
  });

  it('closed while its Redis is down, it stops reconnecting', async () => {
    // Written after the idempotency-redis mutation run: with `quit`'s failure not followed by
    // `disconnect`, a store closed during an outage kept reconnecting (a timer that keeps the
    // process alive) and connected again once Redis came back.
    const server = await RedisServer.start({ aof: false });
    const own = new RedisIdempotencyStore(testConfig({ REDIS_URL: server.url, QUEUE_PREFIX: prefix }));
    const probe = new IORedis(server.url, { lazyConnect: true });
    try {
      await waitFor('the store to answer', () => own.reserve(scope, newKey(), 0).then(() => true));
      await server.kill();
      await own.close();
      await server.restart();
      await sleep(1500); // several of its reconnect intervals (100 ms to 1 s)
      await probe.connect();
      expect((await probe.client('LIST')) as string).not.toMatch(/cmd=(?!client)/);
    } finally {
      probe.disconnect();
      await server.kill();
    }
  });

  it('while its Redis is gone, retries the connection every 100 ms, growing to 1 s', async () => {
    // Written after the idempotency-redis mutation run: the back-off made `Math.max` (a first retry
    // after 1 s, and no ceiling: intervals past 10 s after a long outage, the keyed requests
    // unrecorded that long after Redis is back) or `times / 100` (a connect loop spinning a core
    // through the outage) passed every case. Its port answered by a listener that drops each
    // connection, counted over 2 s: 100 + 200 + 300 + 400 + 500 ms puts 5 or 6 attempts there.
    const server = await RedisServer.start({ aof: false });
    const own = new RedisIdempotencyStore(testConfig({ REDIS_URL: server.url, QUEUE_PREFIX: prefix }));
    let attempts = 0;
    const dropper = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    try {
      await waitFor('the store to answer', () => own.reserve(scope, newKey(), 0).then(() => true));
      await server.kill();
      await new Promise<void>((r) => dropper.listen(server.port, '127.0.0.1', r));
      await sleep(2000);
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(attempts).toBeLessThanOrEqual(12);
    } finally {
      await own.close();
      await new Promise((r) => dropper.close(r));
    }
  });

  it('closes its connection', async () => {
    const own = new RedisIdempotencyStore(config);
    await waitFor('the store to answer', () => own.reserve(scope, newKey(), 0).then(() => true));
    await own.close();
    await expect(own.reserve(scope, newKey(), 0)).rejects.toThrow();
  });
});
