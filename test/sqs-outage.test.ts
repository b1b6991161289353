import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix, waitFor } from './support/env';
import { FauxqsServer } from './support/fauxqs';

describe('absorber while SQS is down (its own fauxqs, stopped and started again)', () => {
  let sqs: FauxqsServer;
  let app: NestFastifyApplication;
  const event = { type: 'order.created', data: { n: 1 } };
  let env: Record<string, string>;

  beforeAll(async () => {
    sqs = await FauxqsServer.start();
    env = { QUEUE_DRIVER: 'sqs', SQS_ENDPOINT: sqs.url, QUEUE_PREFIX: uniquePrefix('sqsoutage') };
    await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
  });
  afterAll(async () => {
    await app.close();
    await sqs.stop();
  });

  it('answers 503 with Retry-After within the bound, fails readiness, and recovers by itself', async () => {
    await request(app.getHttpServer()).post('/v1/events').send(event).expect(202);

    await sqs.stop();
    const started = Date.now();
    const refused = await request(app.getHttpServer()).post('/v1/events').send(event);
    const elapsed = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.message).toMatch(/queue unavailable, nothing was accepted/);
    expect(elapsed).toBeLessThan(1500); // ENQUEUE_TIMEOUT_MS (1 s) plus slack, not a benchmark
    const ready = await request(app.getHttpServer()).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.error.broker).toMatchObject({ status: 'down', driver: 'sqs' });
    await request(app.getHttpServer()).get('/health/live').expect(200);

    // The emulator keeps nothing across restarts: the queues must be ensured again.
    sqs = await FauxqsServer.start(sqs.port);
    await ensureSqsQueues(env);
    await waitFor('ingest to recover', async () => (await request(app.getHttpServer()).post('/v1/events').send(event)).status === 202, 15_000);
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });
});
