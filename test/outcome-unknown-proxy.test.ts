import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues } from './support/drivers';
import { EmulatorProxy } from './support/emulator-proxy';
import { sleep, testConfig, uniquePrefix } from './support/env';

/**
 * A broker that does not answer within ENQUEUE_TIMEOUT_MS, behind the absorber in-process: the
 * event may or may not be held, so the answer is 504 "outcome unknown", never 503 "nothing held"
 * (a client reads 503 as safe to resend without a key). Written after the ingest-service
 * mutation run: `heldOrThrow`'s unknown branch had no in-process case (the slow-broker fault
 * suite checks the 504 from dist/). SQS's SendMessageBatch is held back by a proxy in front of
 * fauxqs, then forwarded: the event lands after its answer, as it may in production.
 */
describe('an enqueue the broker does not answer in time (SQS)', () => {
  const fauxqs = process.env.SQS_ENDPOINT!;
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('unknown'), ENQUEUE_TIMEOUT_MS: '500', LANE_HIGH_WATER: '0' };
  let proxy: EmulatorProxy;
  let absorber: NestFastifyApplication;
  const http = () => request(absorber.getHttpServer());

  beforeAll(async () => {
    await ensureSqsQueues({ ...env, SQS_ENDPOINT: fauxqs });
    proxy = await EmulatorProxy.start(fauxqs);
    absorber = await startAbsorber(testConfig({ ...env, SQS_ENDPOINT: proxy.url }));
  });
  beforeEach(() => {
    proxy.intercept = async (req) => {
      if (req.target.endsWith('.SendMessageBatch')) await sleep(1500);
      return undefined;
    };
  });
  afterAll(async () => {
    await absorber?.close();
    await proxy?.close();
  });

  it('POST /v1/events: 504 outcome unknown naming the event, with the advice for a request without a key', async () => {
    const res = await http().post('/v1/events').send({ type: 'order.created', data: {}, priority: 'low' });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ statusCode: 504, error: 'Outcome Unknown', outcome: 'unknown', id: expect.any(String), lane: 'low' });
    expect(res.body.message).toMatch(new RegExp(`^outcome unknown: .*; event ${res.body.id} may or may not be held; a retry without an Idempotency-Key may double`));
    expect(res.headers['retry-after']).toBeDefined();
  });

  it('with an Idempotency-Key: 504 telling the sender to retry with the same key', async () => {
    const res = await http().post('/v1/events').set('Idempotency-Key', `unknown-${Date.now()}`).send({ type: 'order.created', data: {}, priority: 'low' });
    expect(res.status).toBe(504);
    expect(res.body.message).toMatch(/retry with the same Idempotency-Key: a retry cannot double the event$/);
  });

  it('a batch: 504, the event answered unknown beside an invalid one', async () => {
    const res = await http()
      .post('/v1/events/batch')
      .send({ events: [{ type: 'order.created', data: {}, priority: 'low' }, { type: 'order.created' }] });
    expect(res.status).toBe(504);
    expect(res.body.results).toEqual([
      { id: expect.any(String), lane: 'low', outcome: 'unknown', status: 504, error: expect.stringMatching(/^outcome unknown: /) },
      { error: 'events[1].data: required, must be a JSON object' },
    ]);
  });
});
