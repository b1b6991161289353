import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { queueName } from '@spillway/queue';
import { startAbsorber } from './support/apps';
import { EmulatorProxy } from './support/emulator-proxy';
import { ensureSqsQueues } from './support/drivers';
import { sleep, testConfig, uniquePrefix } from './support/env';

/**
 * A claim-checked event (over SQS's message limit) is answered 202 only once S3 holds its
 * payload and the lane holds the message that points at it. S3 is made slow, then made to refuse,
 * by a proxy in front of fauxqs (which serves S3 too, and never fails a call by itself).
 */
describe('claim checks: the 202 waits for S3', () => {
  const fauxqs = process.env.SQS_ENDPOINT!;
  let proxy: EmulatorProxy;
  let absorber: NestFastifyApplication;
  let sqs: SQSClient;
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('claim'), BODY_LIMIT_BYTES: String(2 * 1024 * 1024), ENQUEUE_TIMEOUT_MS: '5000' };
  const big = { type: 'test.big', data: { big: 'x'.repeat(1100 * 1024) }, priority: 'normal' };
  const isPut = (r: { method: string; path: string }) => r.method === 'PUT' && r.path.includes('/events/');

  beforeAll(async () => {
    await ensureSqsQueues({ ...env, SQS_ENDPOINT: fauxqs });
    proxy = await EmulatorProxy.start(fauxqs);
    absorber = await startAbsorber(testConfig({ ...env, SQS_ENDPOINT: proxy.url }));
    sqs = new SQSClient({ region: 'us-east-1', endpoint: fauxqs, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });
  afterAll(async () => {
    await absorber?.close();
    await proxy?.close();
    sqs?.destroy();
  });

  const onLane = async (): Promise<number> => {
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(env.QUEUE_PREFIX, 'normal') }))).QueueUrl!;
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(attrs.Attributes!.ApproximateNumberOfMessages);
  };

  it('a slow S3: the 202 comes after S3 has answered the payload\'s PUT, never before', async () => {
    let putAnsweredAt = 0;
    proxy.intercept = async (req) => {
      if (!isPut(req)) return undefined;
      await sleep(1500);
      const answer = await proxy.forward(fauxqs, req);
      putAnsweredAt = Date.now();
      return answer;
    };
    const before = await onLane();
    const res = await request(absorber.getHttpServer()).post('/v1/events').send(big);
    const answeredAt = Date.now();
    expect(res.status).toBe(202);
    expect(putAnsweredAt).toBeGreaterThan(0);
    expect(answeredAt).toBeGreaterThanOrEqual(putAnsweredAt);
    expect(await onLane()).toBe(before + 1);
  });

  it('S3 refuses the payload: 503, nothing was held, nothing is on the lane', async () => {
    let puts = 0;
    proxy.intercept = (req) => {
      if (!isPut(req)) return undefined;
      puts++;
      return { status: 500, headers: { 'content-type': 'application/xml' }, body: '<Error><Code>InternalError</Code><Message>S3 is having a bad day</Message></Error>' };
    };
    const before = await onLane();
    const res = await request(absorber.getHttpServer()).post('/v1/events').send(big);
    expect(puts).toBeGreaterThan(0);
    expect(res.status).toBe(503);
    expect(JSON.stringify(res.body)).toMatch(/claim check not stored/);
    expect(await onLane()).toBe(before);
  });
});
