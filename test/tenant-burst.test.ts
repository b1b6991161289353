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
