import { EnqueueBatcher } from '../apps/absorber/src/ingest/enqueue-batcher';
import { IngestService } from '../apps/absorber/src/ingest/ingest.service';
import { Metrics } from '../libs/health/src';
import { QueueDriverName } from '../libs/config/src';
import { createIdempotencyStore, IdempotencyStore, QueueDriver } from '../libs/queue/src';
import { freshDriver } from './support/drivers';
import { testConfig, uniquePrefix, waitFor } from './support/env';

/**
 * A retry with the same Idempotency-Key sent the moment a 202 arrives must be answered from the
 * record (202, same id), never 409 "still awaiting the broker". The service runs in-process on the
 * real broker and the real store of each driver; the store is the real one with its `markHeld`
 * answer delayed (as on a busy Redis or Postgres), which is what opened the window: the 202 used
 * to go out before the record said "held".
 */
describe.each<QueueDriverName>(['bullmq', 'sqs'])('a keyed retry right after a 202 [%s]', (name) => {
  let driver: QueueDriver;
  let store: IdempotencyStore;
  let service: IngestService;

  beforeAll(async () => {
    const config = testConfig({ QUEUE_DRIVER: name, QUEUE_PREFIX: uniquePrefix(`i202${name}`) });
    driver = await freshDriver(name, { QUEUE_PREFIX: config.queuePrefix });
    const real = await createIdempotencyStore(config);
    // Connected before the test: an unreachable store ingests without a record, which is not this case.
    await waitFor('the idempotency store answering', () => real.reserve('warm-up', `k-${Date.now()}`, 0).then(() => true, () => false));
    const slowMarkHeld = real.markHeld.bind(real);
    store = Object.assign(Object.create(real) as IdempotencyStore, {
      markHeld: async (...args: Parameters<IdempotencyStore['markHeld']>) => {
        await new Promise((r) => setTimeout(r, 300));
        return slowMarkHeld(...args);
      },
    });
    service = new IngestService(config, store, driver, new EnqueueBatcher(driver, config), new Metrics(driver));
  });
  afterAll(async () => {
    await driver?.close();
    await store?.close();
  });

  it('is answered 202 with the first id, and nothing is enqueued twice', async () => {
    const key = `k-${Date.now()}-${Math.random()}`;
    const first = await service.acceptOne({ type: 'order.created', data: { n: 1 } }, 'tenant-a', key);
    const again = await service.acceptOne({ type: 'order.created', data: { n: 1 } }, 'tenant-a', key);
    expect(again).toEqual(first);
    const depth = await driver.depth(first.lane);
    expect(depth.waiting + depth.delayed + depth.active).toBe(1);
  });
});
