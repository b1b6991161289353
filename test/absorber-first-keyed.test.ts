import { connect, createServer, Server, Socket } from 'node:net';
import request from 'supertest';
import { loadConfig } from '@spillway/config';
import { IDEMPOTENCY_STORE, IdempotencyStore } from '@spillway/queue';
import { ANONYMOUS_TENANT } from '../apps/absorber/src/ingest/api-key.guard';
import { startAbsorber } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix } from './support/env';

/** A relay to Redis that lets each new connection through only after `delayMs`: a far Redis's handshake. */
async function slowHandshakeRelay(target: URL, delayMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.pause();
    setTimeout(() => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      sockets.add(upstream);
      for (const s of [client, upstream]) s.on('error', () => s.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
      client.resume();
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    close: () => new Promise<void>((resolve) => {
      sockets.forEach((s) => s.destroy());
      server.close(() => resolve());
    }),
  };
}

/**
 * The Redis idempotency store has its own connection and queues no command while it connects
 * (enableOfflineQueue false: a lookup must not wait past ENQUEUE_TIMEOUT_MS on a lost Redis), so
 * until that connection was up every keyed request took the store-down path: 202 with no record
 * (a retry then enqueues again, a concurrent one is not told 409), from an absorber that had just
 * started with Redis up. A fresh absorber's first keyed requests must leave their records.
 */
describe.each(DRIVERS)('an absorber that has just started (%s, Redis idempotency store)', (driverName) => {
  it('records the keyed requests sent at once, with Redis 400 ms away', async () => {
    const relay = await slowHandshakeRelay(new URL(loadConfig().redisUrl), 400);
    const env = { QUEUE_DRIVER: driverName, IDEMPOTENCY_STORE: 'redis', QUEUE_PREFIX: uniquePrefix('firstkeyed'), LANE_HIGH_WATER: '0', REDIS_URL: relay.url };
    if (driverName === 'sqs') await ensureSqsQueues(env);
    const absorber = await startAbsorber(testConfig(env));
    try {
      const keys = ['first', 'second', 'third'];
      const post = (key: string) => request(absorber.getHttpServer()).post('/v1/events').set('Idempotency-Key', key).send({ type: 'boot.keyed', data: {}, priority: 'low' });
      const answers = await Promise.all(keys.map(post));
      expect(answers.map((r) => r.status)).toEqual([202, 202, 202]);
      // Asked of the store itself: each key's record is there and held (a retry gets the ids, enqueues nothing).
      const store = absorber.get<IdempotencyStore>(IDEMPOTENCY_STORE);
      const records = await Promise.all(keys.map((k) => store.reserve(ANONYMOUS_TENANT, k, 0)));
      expect(records.map((r) => ({ fresh: r.fresh, held: r.held }))).toEqual(keys.map(() => ({ fresh: false, held: true })));
    } finally {
      await absorber.close();
      await relay.close();
    }
  });
});
