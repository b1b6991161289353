import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { QueueDriver, QueuedEvent } from '@spillway/queue';
import { event } from './contract/queue-driver.contract';
import { freshDriver } from './support/drivers';
import { testConfig, waitFor } from './support/env';

/**
 * BullMQ's dead letters are of two kinds: the driver's `<lane>-dlq` copies, and jobs that ended in
 * the lane's failed set without a copy (the copy itself failed, or the job stalled more than
 * maxStalledCount times). The second kind cannot be made to happen on cue through the driver, so
 * a plain BullMQ worker on the lane fails the jobs, as BullMQ does when it gives up on one; the
 * DLQ copy is written in the shape the driver writes. Every operation must treat both alike.
 */
describe('BullMQ: a job in the lane\'s failed set is a dead letter like a DLQ copy', () => {
  let driver: QueueDriver;
  let redis: IORedis;
  let lane: Queue;
  let dlq: Queue;

  beforeEach(async () => {
    driver = await freshDriver('bullmq');
    const prefix = (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix;
    redis = new IORedis(testConfig().redisUrl, { maxRetriesPerRequest: null });
    lane = new Queue('normal', { connection: redis, prefix });
    dlq = new Queue('normal-dlq', { connection: redis, prefix });
  });
  afterEach(async () => {
    await lane.close();
    await dlq.close();
    await redis.quit();
    await driver.close();
  });

  /** Jobs of one event each, failed by BullMQ itself (one attempt, a handler that throws). */
  async function failedJobs(events: QueuedEvent[]): Promise<string[]> {
    const jobs = await lane.addBulk(events.map((e) => ({ name: 'events', data: { events: [e] }, opts: { attempts: 1, removeOnFail: false } })));
    const prefix = (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix;
    const connection = redis.duplicate();
    const worker = new Worker('normal', async () => { throw new Error('disk on fire'); }, { connection, prefix });
    try {
      await waitFor(`${events.length} jobs in the failed set`, async () => (await lane.getJobCounts('failed')).failed === events.length);
    } finally {
      await worker.close();
      await connection.quit();
    }
    return jobs.map((j) => String(j.id));
  }

  it('is counted, listed within the limit, discarded by its id, and redriven to be delivered again', async () => {
    const copy = event('normal');
    await dlq.add('dead', { events: [copy], attempts: 3, lastError: 'Error: a copy', failedAt: new Date().toISOString() });
    const [a, b] = [event('normal'), event('normal')];
    const before = Date.now();
    const [idA, idB] = await failedJobs([a, b]);

    expect((await driver.depth('normal')).deadLettered).toBe(3);
    const letters = await driver.deadLetters('normal', 10);
    // Copies first, then the failed set (BullMQ lists it newest first).
    expect(letters.map((l) => l.events.map((e) => e.id))[0]).toEqual([copy.id]);
    expect(letters.slice(1).map((l) => l.events.map((e) => e.id)).sort()).toEqual([[a.id], [b.id]].sort());
    const letterA = letters.find((l) => l.events[0].id === a.id)!;
    expect(letterA).toMatchObject({ id: `failed:${idA}`, lane: 'normal', attempts: 1, lastError: 'ended in the BullMQ failed set: disk on fire' });
    expect(Date.parse(letterA.failedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(letterA.failedAt)).toBeLessThanOrEqual(Date.now());
    // The limit counts both kinds: copies first, then as many failed jobs as room is left.
    const two = await driver.deadLetters('normal', 2);
    expect(two.map((l) => l.events[0].id)).toEqual([copy.id, letters[1].events[0].id]);
    expect((await driver.deadLetters('normal', 1)).map((l) => l.events[0].id)).toEqual([copy.id]);

    expect(await driver.discardDeadLetters('normal', [`failed:${idA}`])).toBe(1);
    expect(await driver.discardDeadLetters('normal', [`failed:${idA}`])).toBe(0);
    expect((await driver.depth('normal')).deadLettered).toBe(2);

    expect(await driver.redrive('normal')).toBe(2);
    expect((await driver.depth('normal')).deadLettered).toBe(0);
    // The redriven failed job's old id no longer names a dead letter: nothing is removed by it.
    expect(await driver.discardDeadLetters('normal', [`failed:${idB}`])).toBe(0);
    const delivered: string[] = [];
    const consumer = await driver.consume('normal', async (d) => void delivered.push(...d.events.map((e) => e.id)), { concurrency: 1 });
    try {
      await waitFor('both redriven events delivered', async () => delivered.length === 2);
      expect(delivered.sort()).toEqual([copy.id, b.id].sort());
      expect(delivered).not.toContain(a.id);
    } finally {
      await consumer.close();
    }
  });

  it('is discarded with the rest when a lane\'s dead letters are discarded without ids; a live job never is', async () => {
    await dlq.add('dead', { events: [event('normal')], attempts: 3, lastError: 'Error: a copy', failedAt: new Date().toISOString() });
    await failedJobs([event('normal'), event('normal')]);
    // A live job is no dead letter, even when asked for by a failed-set id.
    const live = await lane.add('events', { events: [event('normal')] });
    expect(await driver.discardDeadLetters('normal', [`failed:${live.id}`])).toBe(0);
    expect(await driver.discardDeadLetters('normal')).toBe(3);
    expect(await driver.depth('normal')).toMatchObject({ deadLettered: 0, waiting: 1 });
    expect(await driver.deadLetters('normal', 10)).toEqual([]);
  });
});
