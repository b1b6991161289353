import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { IDEMPOTENCY_STORE, IdempotencyStore } from '@spillway/queue';
import { EnqueueBatcher } from '../apps/absorber/src/ingest/enqueue-batcher';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues } from './support/drivers';
import { EmulatorProxy } from './support/emulator-proxy';
import { testConfig, uniquePrefix, waitFor } from './support/env';

/**
 * A keyed request is admitted, then reserves its key (a round trip to the store), and only then
 * writes. If others fill ENQUEUE_MAX_IN_FLIGHT during that round trip, it must be refused like any
 * request over the bound, and its key released so that a retry is not answered 409 "still
 * awaiting the broker" for the whole pending time. Written after the ingest-service mutation run
 * (that check skipped, or its release dropped, passed every case). The store's `reserve` is held
 * at a gate and SQS's SendMessageBatch by a proxy in front of fauxqs, so the race happens on cue.
 */
describe('a keyed request whose reservation outlasts the in-flight bound filling up (SQS)', () => {
  const fauxqs = process.env.SQS_ENDPOINT!;
  // ENQUEUE_TIMEOUT_MS 5000: the held batch stays in flight, and a record left pending would
  // answer 409 for 5.25 s, well past the 2 s the retry below is given.
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('keyedbound'), ENQUEUE_MAX_IN_FLIGHT: '2', ENQUEUE_TIMEOUT_MS: '5000', LANE_HIGH_WATER: '0' };
  let proxy: EmulatorProxy;
  let absorber: NestFastifyApplication;
  const http = () => request(absorber.getHttpServer());
  const event = { type: 'order.created', data: {}, priority: 'low' };

  beforeAll(async () => {
    await ensureSqsQueues({ ...env, SQS_ENDPOINT: fauxqs });
    proxy = await EmulatorProxy.start(fauxqs);
    absorber = await startAbsorber(testConfig({ ...env, SQS_ENDPOINT: proxy.url }));
  });
  afterAll(async () => {
    await absorber?.close();
    await proxy?.close();
  });

  it('is refused 503 naming the limit, and its key released: a retry once the bound frees is taken', async () => {
    const store = absorber.get<IdempotencyStore>(IDEMPOTENCY_STORE);
    const batcher = absorber.get(EnqueueBatcher);
    const reserve = store.reserve.bind(store);
    let openGate = () => {};
    const gate = new Promise<void>((r) => (openGate = r));
    let reached = () => {};
    const reserving = new Promise<void>((r) => (reached = r));
    let releaseSend = () => {};
    const sendHeld = new Promise<void>((r) => (releaseSend = r));
    store.reserve = async (...args) => {
      reached();
      await gate;
      return reserve(...args);
    };
    proxy.intercept = async (req) => {
      if (req.target.endsWith('.SendMessageBatch')) await sendHeld;
      return undefined;
    };
    try {
      const key = `bound-${randomBytes(4).toString('hex')}`;
      const keyed = http().post('/v1/events').set('Idempotency-Key', key).send(event).then((r) => r);
      await reserving; // admitted with nothing in flight; its reservation under way
      const filling = http().post('/v1/events/batch').send({ events: [event, event] }).then((r) => r);
      await waitFor('the batch in flight', async () => batcher.eventsInFlight === 2);
      openGate();
      const refused = await keyed;
      expect(refused.status).toBe(503);
      expect(refused.body.message).toMatch(/limit ENQUEUE_MAX_IN_FLIGHT=2/);
      releaseSend();
      expect((await filling).status).toBe(202);
      store.reserve = reserve;
      // The release is not awaited by the request: give it a moment, far less than the pending time.
      const retried = await waitFor('the retry taken', async () => {
        const res = await http().post('/v1/events').set('Idempotency-Key', key).send(event);
        return res.status === 202 && res;
      }, 2000, 200);
      expect(retried.body.lane).toBe('low');
    } finally {
      openGate();
      releaseSend();
      store.reserve = reserve;
      proxy.intercept = () => undefined;
    }
  });
});
