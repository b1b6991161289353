import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { startAbsorber } from './support/apps';
import { testConfig, uniquePrefix, waitFor } from './support/env';
import { RedisServer } from './support/redis-server';

describe('absorber while Redis is down (its own redis-server, killed and restarted)', () => {
  let redis: RedisServer;
  let app: NestFastifyApplication;
  const event = { type: 'order.created', data: { n: 1 } };

  beforeAll(async () => {
    redis = await RedisServer.start();
    app = await startAbsorber(testConfig({ REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('outage') }));
  });
  afterAll(async () => {
    await app.close();
    await redis.kill();
  });

  it('answers 503 with Retry-After at once, fails readiness, and recovers by itself', async () => {
    await request(app.getHttpServer()).post('/v1/events').send(event).expect(202);

    await redis.kill();
    await waitFor('the absorber to notice', async () => (await request(app.getHttpServer()).post('/v1/events').send(event)).status === 503);
    const started = Date.now();
    const refused = await request(app.getHttpServer()).post('/v1/events').send(event);
    const elapsed = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.message).toMatch(/queue unavailable, nothing was accepted/);
    expect(elapsed).toBeLessThan(1000); // the contract's bound, not a benchmark
    const ready = await request(app.getHttpServer()).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.error.broker.status).toBe('down');
    await request(app.getHttpServer()).get('/health/live').expect(200);

    await redis.restart();
    await waitFor('ingest to recover', async () => (await request(app.getHttpServer()).post('/v1/events').send(event)).status === 202, 15_000);
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });
});
