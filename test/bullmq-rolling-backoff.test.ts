import { Job, Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Delivery, decide, QueuedEvent, RUNNING } from '@spillway/queue';
import { BullmqDriver } from '@spillway/queue/drivers';
import { event } from './contract/queue-driver.contract';
import { testConfig, uniquePrefix, waitFor } from './support/env';

const MAX_ATTEMPTS = 3;
const RETRY_BASE_MS = 700;
const LEASE_MS = 1000;

/** A lane of its own on the test's Redis: the driver (this build) and a plain BullMQ view of its keys. */
async function rig() {
  const prefix = uniquePrefix('roll');
  const config = testConfig({ QUEUE_DRIVER: 'bullmq', QUEUE_PREFIX: prefix, MAX_ATTEMPTS: String(MAX_ATTEMPTS), RETRY_BASE_MS: String(RETRY_BASE_MS), LEASE_MS: String(LEASE_MS) });
  const driver = new BullmqDriver(config);
  if (!(await driver.waitUntilConnected(5000))) throw new Error(`Redis at ${config.redisUrl} is not answering`);
  const redis = new IORedis(config.redisUrl, { maxRetriesPerRequest: null });
  const lane = new Queue('normal', { connection: redis, prefix });
  const job = async (): Promise<Record<string, string>> => {
    const [id] = await redis.zrange(`${prefix}:normal:delayed`, '0', '0');
    return id ? { id, ...(await redis.hgetall(`${prefix}:normal:${id}`)) } : {};
  };
  const close = async () => {
    await lane.close();
    await redis.quit();
    await driver.close();
  };
  return { prefix, config, driver, redis, lane, job, close };
}

/**
 * The worker of the build before the delivery policy (commit a531eb1^, BullmqDriver.consume):
 * BullMQ's own retries, no backoffStrategy; a failure before the last attempt is thrown back to
 * BullMQ, the last one copied to the DLQ. That build cannot be loaded beside this one in one
 * process, so its Worker is rebuilt here with the same processor shape and options; the broker,
 * the jobs (enqueued by this build's driver) and BullMQ itself are the real ones.
 */
function oldWorker(prefix: string, redis: IORedis, handler: (events: QueuedEvent[]) => Promise<void>) {
  const errors: string[] = [];
  const connection = redis.duplicate();
  const dlq = new Queue('normal-dlq', { connection, prefix });
  const worker = new Worker<{ events: QueuedEvent[] }>(
    'normal',
    async (job: Job<{ events: QueuedEvent[] }>) => {
      const attempt = job.attemptsMade + 1;
      try {
        await handler(job.data.events);
      } catch (err) {
        if (attempt < MAX_ATTEMPTS) throw err;
        await dlq.add('dead', { events: job.data.events, attempts: attempt, lastError: String(err), failedAt: new Date().toISOString() }, { jobId: `normal-${job.id}` });
      }
    },
    { connection, prefix, lockDuration: LEASE_MS, stalledInterval: LEASE_MS, maxStalledCount: Math.max(MAX_ATTEMPTS, 10) },
  );
  worker.on('error', (err) => errors.push(err.message));
  return {
    errors,
    close: async () => {
      await worker.close();
      await dlq.close();
      await connection.quit();
    },
  };
}

/**
 * Rolling deploy on BullMQ: this build's jobs carry backoff type `delivery-policy`, which only this
 * build's workers know (their backoffStrategy). CHANGELOG.md says to drain the old workers first;
 * these cases pin what happens when one is not drained, and that the delay the policy decides is
 * the one BullMQ waits.
 */
describe('BullMQ rolling deploy: an old worker meets a delivery-policy job', () => {
  it('cannot fail it: BullMQ throws on the unknown backoff, the job stays active until its lock lapses, and comes back uncharged', async () => {
    const r = await rig();
    const sent = event('normal');
    let runs = 0;
    const old = oldWorker(r.prefix, r.redis, async () => {
      runs++;
      throw new Error('handler failed on the old worker');
    });
    try {
      await r.driver.enqueue('normal', [sent]);
      await waitFor('the old worker to run it twice (the second after a stall)', async () => runs >= 2, 15_000);
      // Not retried with a backoff, not failed: BullMQ could not compute the delay.
      expect(old.errors[0]).toMatch(/^Unknown backoff strategy delivery-policy\./);
      const [job] = await r.lane.getJobs(['active', 'wait']);
      // Each run starts as attempt 1: the failure was never recorded; the lock lapsed (a stall).
      expect(job.attemptsMade).toBe(0);
      expect(job.stalledCounter).toBeGreaterThanOrEqual(1);
      expect(await r.lane.getJobCounts('delayed', 'failed')).toEqual({ delayed: 0, failed: 0 });
      // The old worker is drained away; a worker of this build takes the job, events intact.
      await old.close();
      const got: Delivery[] = [];
      const consumer = await r.driver.consume('normal', async (d) => void got.push(d), { concurrency: 1 });
      try {
        await waitFor('this build to deliver it', async () => got.length === 1, 15_000);
      } finally {
        await consumer.close();
      }
      expect(got[0].events.map((e) => e.id)).toEqual([sent.id]);
      expect(got[0].attempt).toBe(1);
    } finally {
      await old.close().catch(() => undefined);
      await r.close();
    }
  });

  it('with only old workers: retried once per lapsed lock (not the backoff), never dead-lettered by them, ends in the failed set after maxStalledCount stalls, listed and redriven', async () => {
    const r = await rig();
    const sent = event('normal');
    let runs = 0;
    const old = oldWorker(r.prefix, r.redis, async () => {
      runs++;
      throw new Error('handler failed on the old worker');
    });
    try {
      await r.driver.enqueue('normal', [sent]);
      // maxStalledCount 10: the 11th lapse fails the job (each lapse is a lease plus a stall check).
      await waitFor('the job to end in the failed set', async () => (await r.lane.getJobCounts('failed')).failed === 1, 60_000, 250);
      expect(runs).toBe(11);
      expect((await r.driver.depth('normal')).deadLettered).toBe(1);
      const [letter] = await r.driver.deadLetters('normal', 10);
      expect(letter.events.map((e) => e.id)).toEqual([sent.id]);
      expect(letter.lastError).toBe('ended in the BullMQ failed set: job stalled more than allowable limit');
      await old.close();
      expect(await r.driver.redrive('normal')).toBe(1);
      const got: Delivery[] = [];
      const consumer = await r.driver.consume('normal', async (d) => void got.push(d), { concurrency: 1 });
      try {
        await waitFor('the redriven job delivered', async () => got.length === 1, 15_000);
      } finally {
        await consumer.close();
      }
      expect(got[0].events.map((e) => e.id)).toEqual([sent.id]);
    } finally {
      await old.close().catch(() => undefined);
      await r.close();
    }
  }, 90_000);
});

describe('BullMQ: the delay a retried job waits is the delivery policy\'s', () => {
  it('attempts 1 and 2 fail: the delayed job carries decide()\'s delay (700 ms, then 1400 ms) and is due that long after the failure', async () => {
    const r = await rig();
    const failedAt: number[] = [];
    const consumer = await r.driver.consume(
      'normal',
      async () => {
        failedAt.push(Date.now());
        throw new Error('handler failed');
      },
      { concurrency: 1 },
    );
    try {
      await r.driver.enqueue('normal', [event('normal')]);
      for (const attempt of [1, 2]) {
        const job = await waitFor(`attempt ${attempt}'s retry in the delayed set`, async () => {
          const j = await r.job();
          return j.id && Number(j.atm) === attempt ? j : undefined;
        }, 10_000, 20);
        const verdict = decide({ attempt, maxAttempts: MAX_ATTEMPTS }, { error: new Error('handler failed') }, { retryBaseMs: RETRY_BASE_MS }, RUNNING);
        expect(verdict).toEqual({ kind: 'retry', delayMs: RETRY_BASE_MS * 2 ** (attempt - 1) });
        expect(Number(job.delay)).toBe(verdict.kind === 'retry' && verdict.delayMs);
        // BullMQ's delayed score is the due time x 0x1000 (plus a tie-breaking counter).
        const due = Math.floor(Number(await r.redis.zscore(`${r.prefix}:normal:delayed`, job.id)) / 0x1000);
        const wait = due - failedAt[attempt - 1];
        expect(wait).toBeGreaterThanOrEqual(RETRY_BASE_MS * 2 ** (attempt - 1));
        expect(wait).toBeLessThan(RETRY_BASE_MS * 2 ** (attempt - 1) + 300);
      }
    } finally {
      await consumer.close();
      await r.close();
    }
  });
});
