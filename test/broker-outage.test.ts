import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix, waitFor } from './support/env';
import { FauxqsServer } from './support/fauxqs';
import { RedisServer } from './support/redis-server';

/** A broker of the test's own that it can take down and bring back. */
interface Outage {
  env: Record<string, string>;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

async function redisOutage(): Promise<Outage> {
  const redis = await RedisServer.start();
  return {
    env: { REDIS_URL: redis.url, QUEUE_PREFIX: uniquePrefix('outage') },
    down: () => redis.kill(),
    up: () => redis.restart(),
    close: () => redis.kill(),
  };
}

async function sqsOutage(): Promise<Outage> {
  let sqs = await FauxqsServer.start();
  const env = { QUEUE_DRIVER: 'sqs', SQS_ENDPOINT: sqs.url, QUEUE_PREFIX: uniquePrefix('sqsoutage') };
  await ensureSqsQueues(env);
  return {
    env,
    down: () => sqs.stop(),
    up: async () => {
      // The emulator keeps nothing across restarts: the queues must be ensured again.
      sqs = await FauxqsServer.start(sqs.port);
      await ensureSqsQueues(env);
    },
    close: () => sqs.stop(),
  };
}

describe.each([
  // Redis refuses connections at once; an SQS call waits for ENQUEUE_TIMEOUT_MS (1 s). Both bounds
  // are the contract's "answer, do not hang", with slack, not benchmarks.
  { broker: 'Redis (its own redis-server, killed and restarted)', driver: 'bullmq', start: redisOutage, boundMs: 1000 },
  { broker: 'SQS (its own fauxqs, stopped and started again)', driver: 'sqs', start: sqsOutage, boundMs: 1500 },
])('absorber while $broker is down', ({ driver, start, boundMs }) => {
  let outage: Outage;
  let app: NestFastifyApplication;
  const event = { type: 'order.created', data: { n: 1 } };
  const post = () => request(app.getHttpServer()).post('/v1/events').send(event);

  beforeAll(async () => {
    outage = await start();
    app = await startAbsorber(testConfig(outage.env));
  });
  afterAll(async () => {
    await app.close();
    await outage.close();
  });

  it('answers 503 with Retry-After within the bound, fails readiness, and recovers by itself', async () => {
    await post().expect(202);

    await outage.down();
    await waitFor('the absorber to notice', async () => (await post()).status === 503);
    const started = Date.now();
    const refused = await post();
    const elapsed = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body.message).toMatch(/queue unavailable, nothing was accepted/);
    expect(elapsed).toBeLessThan(boundMs);
    const ready = await request(app.getHttpServer()).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.error.broker).toMatchObject({ status: 'down', driver });
    await request(app.getHttpServer()).get('/health/live').expect(200);

    await outage.up();
    await waitFor('ingest to recover', async () => (await post()).status === 202, 15_000);
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });
});
