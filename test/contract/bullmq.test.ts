import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { EnqueueError, QueueDriver } from '@spillway/queue';
import { freshDriver } from '../support/drivers';
import { testConfig, waitFor } from '../support/env';
import { RedisServer } from '../support/redis-server';
import { event, queueDriverContract } from './queue-driver.contract';

queueDriverContract('bullmq');

// Not a port promise, so not in the contract: Redis holds every job in memory, and on the one-box
// target a Redis that kept finished jobs would fill up and the absorber would start refusing.
describe('BullMQ: what a delivered job leaves in Redis', () => {
  it('keeps no completed job on its lane', async () => {
    const driver = await freshDriver('bullmq');
    const prefix = (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix;
    const redis = new IORedis(testConfig().redisUrl, { maxRetriesPerRequest: null });
    const lane = new Queue('normal', { connection: redis, prefix });
    let delivered = 0;
    const consumer = await driver.consume('normal', async (d) => void (delivered += d.events.length), { concurrency: 1 });
    try {
      await driver.enqueue('normal', [event('normal')]);
      await driver.enqueue('normal', [event('normal')]);
      await waitFor('both delivered and acknowledged', async () => delivered === 2 && (await lane.getJobCounts('active', 'waiting')).active === 0);
      expect(await lane.getJobCounts('completed', 'failed', 'waiting', 'active')).toEqual({ completed: 0, failed: 0, waiting: 0, active: 0 });
    } finally {
      await consumer.close();
      await lane.close();
      await redis.quit();
      await driver.close();
    }
  });
});

/** A redis-server of the case's own (it changes Redis's config, or counts its clients). */
async function onOwnRedis(run: (url: string, admin: IORedis) => Promise<void>): Promise<void> {
  const redis = await RedisServer.start({ aof: false });
  const admin = new IORedis(redis.url);
  try {
    await run(redis.url, admin);
  } finally {
    admin.disconnect();
    await redis.kill();
  }
}

/** `onOwnRedis` with a driver on that Redis, closed after. */
const withDriverOnOwnRedis = (run: (driver: QueueDriver, admin: IORedis) => Promise<void>) =>
  onOwnRedis(async (url, admin) => {
    const driver = await freshDriver('bullmq', { REDIS_URL: url });
    try {
      await run(driver, admin);
    } finally {
      await driver.close();
    }
  });

// The absorber answers "refused" (nothing held, safe to send again) or "unknown" from this split:
// a job Redis answered with an error was not written; only a write left unanswered may exist.
describe('BullMQ: a write Redis refuses', () => {
  it('is reported refused, not unknown, for every event of it; Redis taking writes again takes them', () =>
    withDriverOnOwnRedis(async (driver, admin) => {
      await driver.enqueue('normal', [event('normal')]); // the queue's handshake done while Redis takes writes
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1');
      const events = Array.from({ length: 250 }, () => event('normal')); // three jobs
      const error = await driver.enqueue('normal', events).then(() => undefined, (err: unknown) => err);
      expect(error).toBeInstanceOf(EnqueueError);
      expect((error as EnqueueError).message).toMatch(/OOM/);
      expect([(error as EnqueueError).held.size, (error as EnqueueError).unknown.size]).toEqual([0, 0]);
      await admin.config('SET', 'maxmemory', '0');
      await driver.enqueue('normal', events);
      expect((await driver.depth('normal')).waiting).toBe(4);
    }));
});

// Lane shedding (LANE_SHED_AT_MEMORY) reads this: Redis's used memory against its maxmemory, or
// nothing to shed against when Redis is unbounded.
describe('BullMQ: memoryUse', () => {
  it('is undefined without maxmemory, and INFO\'s used_memory against maxmemory with it', () =>
    withDriverOnOwnRedis(async (driver, admin) => {
      await admin.config('SET', 'maxmemory', '0');
      expect(await driver.memoryUse!()).toBeUndefined();
      await admin.config('SET', 'maxmemory', String(64 * 1024 * 1024));
      const use = await driver.memoryUse!();
      const used = Number(/^used_memory:(\d+)/m.exec(await admin.info('memory'))![1]);
      expect(use!.maxBytes).toBe(64 * 1024 * 1024);
      expect(Math.abs(use!.usedBytes - used)).toBeLessThan(1024 * 1024);
      expect(use!.usedBytes).toBeGreaterThan(0);
    }));
});

// Shutdown: an app whose driver left a Redis connection open would not exit by itself.
describe('BullMQ: close', () => {
  it('closes every Redis connection it opened, its consumers\' included', () =>
    onOwnRedis(async (url, admin) => {
      const clients = async () => String(await admin.client('LIST')).trim().split('\n').length;
      const alone = await clients();
      const driver = await freshDriver('bullmq', { REDIS_URL: url });
      await driver.consume('normal', async () => undefined, { concurrency: 1 });
      await driver.enqueue('low', [event('low')]);
      expect(await clients()).toBeGreaterThanOrEqual(alone + 3); // producer, worker, worker's blocking one
      await driver.close();
      await waitFor('only the test\'s own connection left', async () => (await clients()) === alone, 5000);
    }));
});
