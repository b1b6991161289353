import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { startAbsorber } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix, waitFor } from './support/env';

// In-process (the fault suite's overload case runs the absorber from dist/, where a mutation run
// cannot reach): a lane whose backlog reaches its high-water mark refuses, and only that lane.
describe.each(DRIVERS)('lane high-water mark on %s (no worker)', (driverName) => {
  let app: NestFastifyApplication;
  let driver: QueueDriver;
  const post = (body: unknown) => request(app.getHttpServer()).post('/v1/events').send(body as object);

  beforeAll(async () => {
    const env = { QUEUE_DRIVER: driverName, QUEUE_PREFIX: uniquePrefix('shed'), LANE_HIGH_WATER: 'critical=0,normal=0,low=3' };
    if (driverName === 'sqs') await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
    driver = app.get(QUEUE_DRIVER);
  });
  afterAll(() => app.close());

  it('refuses the lane at its mark with 503, Retry-After and the backlog named, writes nothing, and keeps other lanes open', async () => {
    for (let i = 0; i < 3; i++) await post({ type: 'a', data: { i }, priority: 'low' }).expect(202);
    // The shedder reads depth off the request path: every 250 ms on BullMQ; on SQS once the
    // absorber's own sends reach half the mark, at most every 5 s. The refusal follows a read.
    const calls = driverName === 'sqs' ? (driver as SqsDriver).apiCalls.total('GetQueueAttributesCommand') : 0;
    const refused = await waitFor('a refusal on the low lane', async () => {
      const res = await post({ type: 'a', data: {}, priority: 'low' });
      return res.status === 503 ? res : undefined;
    }, 15_000, 100);
    if (driverName === 'sqs') {
      // Shedding on SQS took one read of the lane's queue (two at most, when the boot read raced the posts): no DLQ, no per-tick reads.
      expect((driver as SqsDriver).apiCalls.total('GetQueueAttributesCommand') - calls).toBeLessThanOrEqual(2);
    }
    const depth = (await driver.depth('low')).waiting;
    expect(depth).toBeGreaterThanOrEqual(3);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body.message).toMatch(/^lane low is over its high-water mark \([3-9]\d* >= 3 waiting\); nothing was accepted, retry later$/);
    const again = await post({ type: 'a', data: {}, priority: 'low' });
    expect(again.status).toBe(503);
    expect((await driver.depth('low')).waiting).toBe(depth);
    // A lane with no mark (0) is never shed.
    for (let i = 0; i < 5; i++) await post({ type: 'a', data: { i } }).expect(202);
  });
});
