import { Admission } from '../apps/absorber/src/ingest/admission';
import { Clock } from '../apps/absorber/src/ingest/clock';
import { EnqueueBatcher } from '../apps/absorber/src/ingest/enqueue-batcher';
import { EventIds } from '../apps/absorber/src/ingest/event-ids';
import { EventWriter } from '../apps/absorber/src/ingest/event-writer';
import { IdempotencyGate } from '../apps/absorber/src/ingest/idempotency-gate';
import { laneShedderFor } from '../apps/absorber/src/ingest/ingest.providers';
import { IngestService } from '../apps/absorber/src/ingest/ingest.service';
import { Metrics } from '@spillway/health';
import { LaneRouter, QueueDriverName } from '@spillway/config';
import { createIdempotencyStore, IdempotencyStore, QueueDriver } from '@spillway/queue';
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
  });

  it('is answered 202 with the first id, and nothing is enqueued twice', async () => {
    const key = `k-${Date.now()}-${Math.random()}`;
    const send = () => service.accept({ events: [{ type: 'order.created', data: { n: 1 } }], tenant: 'tenant-a', idempotencyKey: key });
    const [first] = await send();
    const [again] = await send();
    expect(first.outcome).toBe('held');
    expect(again).toEqual(first);
    const depth = await driver.depth(first.lane);
    expect(depth.waiting + depth.delayed + depth.active).toBe(1);
  });
});
