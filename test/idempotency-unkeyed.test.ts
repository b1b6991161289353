// A request without an Idempotency-Key never touches the key store: no reserve, no markHeld, no
// release (a round trip per request on the hot path, and a record under the key `undefined` that a
// later unkeyed request could be answered from). Asked of the store itself, on both drivers (Redis
// store with BullMQ, Postgres store with SQS); a keyed request shows the spy sees the calls.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { IDEMPOTENCY_STORE, IdempotencyStore, QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { startAbsorber } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix } from './support/env';

describe.each(DRIVERS)('unkeyed requests and the Idempotency-Key store (%s)', (driverName) => {
  let app: NestFastifyApplication;
  let driver: QueueDriver;
  const calls: string[] = [];
  const post = (path: string, body: unknown) => request(app.getHttpServer()).post(path).set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    const env = { QUEUE_DRIVER: driverName, QUEUE_PREFIX: uniquePrefix('unkeyed') };
    if (driverName === 'sqs') await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
    driver = app.get(QUEUE_DRIVER);
    // Every call the gate makes, recorded on the store instance it holds (Nest gives one instance).
    const store = app.get<IdempotencyStore>(IDEMPOTENCY_STORE);
    // heldMark: the Redis store's mark carried by the job's own write on BullMQ (docs/benchmark.md,
    // "Session 16"); the Postgres store has none.
    for (const method of ['reserve', 'markHeld', 'release', 'heldMark'] as const) {
      if (!store[method]) continue;
      const real = store[method].bind(store) as (...args: unknown[]) => never;
      (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        calls.push(`${method} ${String(args[1])}`);
        return real(...args);
      };
    }
  });
  afterAll(() => app?.close());

  it('single and batch requests without a key: each enqueued, none asks the store; a keyed one does', async () => {
    const before = (await driver.depth('low')).waiting;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post('/v1/events', { type: 'unkeyed', data: { i }, priority: 'low' }).expect(202)).body.id);
    // One delivery per single request (a batch's events of one lane may share one: not counted).
    expect((await driver.depth('low')).waiting).toBe(before + 3);
    const batch = await post('/v1/events/batch', { events: [{ type: 'unkeyed', data: { i: 3 }, priority: 'low' }, { type: 'unkeyed', data: { i: 4 }, priority: 'low' }] }).expect(202);
    ids.push(...batch.body.results.map((r: { id: string }) => r.id));
    expect(new Set(ids).size).toBe(5);
    expect(calls).toEqual([]);

    const key = `unkeyed-${driverName}-${Date.now()}`;
    await post('/v1/events', { type: 'keyed', data: {}, priority: 'low' }).set('Idempotency-Key', key).expect(202);
    // On BullMQ the job's write carries the mark and settles the record; elsewhere the gate marks it after.
    const settled = driverName === 'bullmq' ? `heldMark ${key}` : `markHeld ${key}`;
    expect(calls).toEqual([`reserve ${key}`, settled]);
  });
});
