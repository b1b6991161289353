import { QueueDriverName } from '@spillway/config';
import { createIdempotencyStore, IdempotencyStore } from '@spillway/queue';
import { PostgresIdempotencyStore } from '@spillway/queue/idempotency/postgres-idempotency.store';
import { RedisIdempotencyStore } from '@spillway/queue/idempotency/redis-idempotency.store';
import { testConfig, uniquePrefix, waitFor } from './support/env';

/**
 * IDEMPOTENCY_STORE, not the driver's name, picks where Idempotency-Key records live: each store
 * is made under the other driver too, on the real Redis and Postgres, and keeps a record.
 */
describe.each<[QueueDriverName, string, abstract new (...args: never[]) => IdempotencyStore]>([
  ['bullmq', 'redis', RedisIdempotencyStore],
  ['bullmq', 'postgres', PostgresIdempotencyStore],
  ['sqs', 'postgres', PostgresIdempotencyStore],
  ['sqs', 'redis', RedisIdempotencyStore],
])('QUEUE_DRIVER=%s IDEMPOTENCY_STORE=%s', (driver, setting, kind) => {
  let store: IdempotencyStore;
  afterAll(() => store?.close());

  it('makes that store, which reserves a key once', async () => {
    store = await createIdempotencyStore(testConfig({ QUEUE_DRIVER: driver, IDEMPOTENCY_STORE: setting, QUEUE_PREFIX: uniquePrefix('idset') }));
    expect(store).toBeInstanceOf(kind);
    const key = uniquePrefix('k');
    // The Redis store does not queue commands while it connects: the first reserve waits for it.
    const first = await waitFor('the store answering', () => store.reserve('setting', key, 0).catch(() => undefined));
    expect(first.fresh).toBe(true);
    expect((await store.reserve('setting', key, 0)).fresh).toBe(false);
  });
});
