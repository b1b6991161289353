import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import request from 'supertest';
import { Consumer, Delivery, QueueDriver, QueuedEvent } from '@spillway/queue';
import { startWorker } from './support/apps';
import { DRIVERS, freshDriver } from './support/drivers';
import { testConfig, testEnv, waitFor } from './support/env';

const run = promisify(execFile);
// Two attempts, not one: a long poll the closed failing consumer left open at the broker can take
// one redriven message (a receive SQS counts), and one attempt would send it straight back.
const ENV = { MAX_ATTEMPTS: '2', RETRY_BASE_MS: '50', LEASE_MS: '2000' };
const event = (): QueuedEvent => ({ id: randomUUID(), type: 'dead.test', lane: 'low', data: {}, receivedAt: new Date().toISOString() });
const prefixOf = (driver: QueueDriver) => (driver as unknown as { config: { queuePrefix: string } }).config.queuePrefix;

/** `npm run queue:redrive` from the build, against the driver's queues. */
async function cli(driver: QueueDriver, ...args: string[]): Promise<string> {
  const env = testEnv({ QUEUE_DRIVER: driver.name, QUEUE_PREFIX: prefixOf(driver), ...ENV });
  return (await run(process.execPath, ['dist/apps/cli/src/redrive.js', ...args], { env })).stdout;
}

/** What the worker's /metrics says is dead-lettered on a lane. */
async function metricsDeadLettered(worker: NestFastifyApplication, lane: string): Promise<number> {
  const text = (await request(worker.getHttpServer()).get('/metrics').expect(200)).text;
  const m = new RegExp(`spillway_queue_depth\\{lane="${lane}",state="deadLettered"\\} (\\d+)`).exec(text);
  if (!m) throw new Error(`no deadLettered gauge for ${lane}`);
  return Number(m[1]);
}

describe.each(DRIVERS)('every dead letter can be seen and redriven (%s)', (name) => {
  let driver: QueueDriver;
  let worker: NestFastifyApplication | undefined;
  const consumers: Consumer[] = [];
  beforeEach(async () => {
    driver = await freshDriver(name, ENV);
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
    await worker?.close();
    worker = undefined;
    await driver.close();
  });

  it('lists all of them (more than one receive holds), the count agrees with /metrics, redrive moves all', async () => {
    const events = Array.from({ length: 13 }, event);
    for (const e of events) await driver.enqueue('low', [e]);
    const failing = await driver.consume('low', async () => { throw new Error('handler bug'); }, { concurrency: 4 });
    await waitFor('13 dead letters', async () => (await driver.depth('low')).deadLettered === 13, 30_000);
    await failing.close();

    const listed = await driver.deadLetters('low', 1000);
    expect(new Set(listed.flatMap((l) => l.events.map((e) => e.id)))).toEqual(new Set(events.map((e) => e.id)));
    // Listing does not hide them: a second list sees the same, and the count is unchanged.
    expect(await driver.deadLetters('low', 1000)).toHaveLength(13);
    worker = await startWorker(testConfig({ QUEUE_DRIVER: name, QUEUE_PREFIX: prefixOf(driver), ...ENV, WORKER_LANES: 'critical' }));
    expect(await metricsDeadLettered(worker, 'low')).toBe(13);
    const out = await cli(driver, '--lane', 'low', '--list');
    expect(out).toContain('low: 13 listed, 13 counted by the broker');
    expect(out).toContain('13 dead letter(s) listed');

    await worker.close(); // only here for /metrics (see docs/delivery-worker.md, open question)
    worker = undefined;
    expect(await cli(driver, '--lane', 'low', '--yes')).toContain('low: moved 13 dead-lettered deliveries back');
    const seen: Delivery[] = [];
    consumers.push(await driver.consume('low', async (d) => void seen.push(d), { concurrency: 4 }));
    await waitFor('all 13 redelivered', async () => seen.flatMap((d) => d.events).length >= 13);
    await waitFor('nothing dead-lettered or left on the lane', async () => {
      const depth = await driver.depth('low');
      return depth.deadLettered === 0 && depth.waiting + depth.delayed + depth.active === 0;
    });
    expect(await driver.deadLetters('low', 1000)).toEqual([]);
    // Exactly the 13, each once: a redrive that sent a letter twice (or another lane's) shows here.
    const ids = (list: Array<{ id: string }>) => list.map((e) => e.id).sort();
    expect(ids(seen.flatMap((d) => d.events))).toEqual(ids(events));
  });
});

describe('BullMQ: jobs that ended in the failed set are dead letters too', () => {
  let driver: QueueDriver;
  afterEach(() => driver.close());

  it('lists, counts and redrives a job whose DLQ copy failed', async () => {
    driver = await freshDriver('bullmq', ENV);
    const prefix = prefixOf(driver);
    const connection = new IORedis(testConfig().redisUrl, { maxRetriesPerRequest: null });
    // A job the driver could not copy to the DLQ ends in the lane's failed set (BullMQ's own
    // bookkeeping); a plain BullMQ worker that throws on the last attempt puts it there.
    const lost = event();
    const queue = new Queue('low', { connection, prefix });
    await queue.add('events', { events: [lost] }, { attempts: 1 });
    const raw = new Worker('low', async () => { throw new Error('DLQ copy failed: READONLY'); }, { connection, prefix });
    await waitFor('the job in the failed set', async () => (await queue.getFailedCount()) === 1);
    await raw.close();

    const letters = await driver.deadLetters('low', 100);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ events: [{ id: lost.id }], attempts: 1, lastError: expect.stringContaining('DLQ copy failed: READONLY') });
    expect((await driver.depth('low')).deadLettered).toBe(1);
    const out = await cli(driver, '--lane', 'low', '--list');
    expect(out).toContain('failed set');
    expect(out).toContain('low: 1 listed, 1 counted by the broker');

    expect(await driver.redrive('low')).toBe(1);
    expect(await queue.getFailedCount()).toBe(0);
    const seen: string[] = [];
    const c = await driver.consume('low', async (d) => void seen.push(...d.events.map((e) => e.id)), { concurrency: 1 });
    await waitFor('the redriven job delivered', async () => seen.includes(lost.id));
    await c.close();
    expect((await driver.depth('low')).deadLettered).toBe(0);
    await queue.close();
    await connection.quit();
  });
});
