import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { startAbsorber } from './support/apps';
import { testConfig, uniquePrefix } from './support/env';

/** A request larger than the tenant's whole burst can never be admitted: one answer that says so. */
describe('a batch larger than the tenant burst', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await startAbsorber(testConfig({ QUEUE_PREFIX: uniquePrefix('burst'), TENANT_RATE_LIMIT: '5' })); // burst: 10 events
  });
  afterAll(() => app.close());
  const batch = (n: number) =>
    request(app.getHttpServer()).post('/v1/events/batch').send({ events: Array.from({ length: n }, (_, i) => ({ type: 'burst.test', data: { i } })) });

  it('is answered 413 without Retry-After, every time, naming the burst; a batch of the burst is taken', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await batch(11);
      expect(res.status).toBe(413);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(res.body.message).toMatch(/request holds 11 events, more than this tenant's burst of 10 .*send at most 10 events per request/);
    }
    await batch(10).expect(202);
  });
});

/**
 * The other refusals Admission makes before anything is written, each on an absorber of its own
 * (the limiter and the in-flight count are per process). Written after the ingest-admission
 * mutation run: no in-process case reached the tenant's 429 (only hooks' per-source limit, another
 * limiter), and with the in-flight check dropped every case still passed (only the fault suite,
 * from dist/, fills the bound).
 */
describe('admission: a tenant over its rate, a request over the in-flight bound', () => {
  const post = (app: NestFastifyApplication, n: number) =>
    request(app.getHttpServer()).post('/v1/events/batch').send({ events: Array.from({ length: n }, (_, i) => ({ type: 'admit.test', data: { i } })) });

  it('a tenant that spent its burst is answered 429 with Retry-After, naming its rate', async () => {
    const app = await startAbsorber(testConfig({ QUEUE_PREFIX: uniquePrefix('rate'), TENANT_RATE_LIMIT: '5' })); // burst: 10 events
    try {
      await post(app, 10).expect(202);
      const res = await post(app, 2);
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.body.message).toMatch(/^tenant over its rate of 5 events\/s; retry in \d+ s$/);
    } finally {
      await app.close();
    }
  });

  it('a request holding more events than ENQUEUE_MAX_IN_FLIGHT is answered 503 naming the limit; one within it is taken', async () => {
    const app = await startAbsorber(testConfig({ QUEUE_PREFIX: uniquePrefix('bound'), ENQUEUE_MAX_IN_FLIGHT: '2' }));
    try {
      const res = await post(app, 3);
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/limit ENQUEUE_MAX_IN_FLIGHT=2/);
      await post(app, 2).expect(202);
    } finally {
      await app.close();
    }
  });
});
