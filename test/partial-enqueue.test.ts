import { DeleteQueueCommand, GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import request from 'supertest';
import { loadConfig } from '@spillway/config';
import { Metrics } from '@spillway/health';
import { QUEUE_DRIVER, QueueDriver, queueName } from '@spillway/queue';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix, waitFor } from './support/env';

/**
 * One refused broker write fails only the requests whose events it holds (SQS, fauxqs):
 * - one entry of a SendMessageBatch refused by SQS (its message over the queue's
 *   MaximumMessageSize, lowered for the test) while the other entries of the same call are held;
 * - a batch request spread over three lanes, one of whose queues is gone.
 */
describe('a refused entry fails only its own requests (SQS)', () => {
  const prefix = uniquePrefix('partial');
  // A long linger makes concurrent requests share one SendMessageBatch call.
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: prefix, SQS_SEND_LINGER_MS: '300', LANE_HIGH_WATER: '0' };
  const sqs = new SQSClient({ region: 'us-east-1', endpoint: process.env.SQS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  let app: NestFastifyApplication;
  let driver: QueueDriver;
  const url = async (lane: 'critical' | 'normal' | 'low') => (await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(prefix, lane) }))).QueueUrl!;
  const post = (path: string, body: unknown) => request(app.getHttpServer()).post(path).send(body as object);

  beforeAll(async () => {
    await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
    driver = app.get(QUEUE_DRIVER);
  });
  afterAll(async () => {
    await app.close();
    sqs.destroy();
  });

  it('one message over the size limit in a shared SendMessageBatch: its request 503, the others 202', async () => {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: await url('critical'), Attributes: { MaximumMessageSize: '1024' } }));
    await post('/v1/events', { type: 'warm', data: {}, priority: 'critical', key: 'warm' }).expect(202); // the lane is now busy: the next sends linger
    const before = (await driver.depth('critical')).waiting;
    const answers = await Promise.all(
      ['k1', 'k2', 'big', 'k3', 'k4'].map((key) =>
        post('/v1/events', { type: 'shared.batch', priority: 'critical', key, data: { pad: key === 'big' ? 'x'.repeat(2000) : key } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 503, 202, 202]);
    expect(answers[2].body.message).toMatch(/nothing was accepted.*SQS refused the message/);
    expect((await driver.depth('critical')).waiting).toBe(before + 4);
  });

  it('a batch over three lanes, one lane gone: the other lanes held, that lane refused, each said so', async () => {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: await url('low') }));
    const critical = (await driver.depth('critical')).waiting;
    const normal = (await driver.depth('normal')).waiting;
    const res = await post('/v1/events/batch', {
      events: [
        { type: 'spread', data: { i: 0 }, priority: 'critical', key: 'spread' },
        { type: 'spread', data: { i: 1 }, priority: 'low' },
        { type: 'spread', data: { i: 2 }, priority: 'normal' },
      ],
    }).expect(202);
    expect(res.body.results).toEqual([
      { id: expect.any(String), lane: 'critical' },
      { error: expect.stringMatching(/^not accepted, nothing was held: .*; retry this event$/), status: 503 },
      { id: expect.any(String), lane: 'normal' },
    ]);
    expect((await driver.depth('critical')).waiting).toBe(critical + 1);
    expect((await driver.depth('normal')).waiting).toBe(normal + 1);
  });

  it('a batch whose every event is refused: 503 with Retry-After, each event said so, the refusal counted', async () => {
    await url('low').then((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))).catch(() => undefined); // gone already if the case above ran
    const rejected = async () => (await app.get(Metrics).rejected.get()).values.find((v) => v.labels.status === '503')?.value ?? 0;
    const before = await rejected();
    const res = await post('/v1/events/batch', { events: [{ type: 'spread', data: { i: 0 }, priority: 'low' }, { type: 'spread', data: { i: 1 }, priority: 'low' }] });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.results).toEqual([
      { error: expect.stringMatching(/^not accepted, nothing was held: .*; retry this event$/), status: 503 },
      { error: expect.stringMatching(/^not accepted, nothing was held: .*; retry this event$/), status: 503 },
    ]);
    expect(await rejected()).toBe(before + 1);
  });

  // The Idempotency-Key record: only a request whose EVERY event is held may answer a retry from it.
  it('with an Idempotency-Key, a refused batch (wholly or in part) is enqueued again by its retry once the lane is back', async () => {
    const batch = (tag: string) => ({
      events: [
        { type: 'keyed', data: { tag, i: 0 }, priority: 'normal' },
        { type: 'keyed', data: { tag, i: 1 }, priority: 'low' },
      ],
    });
    const lowWaiting = async () => (await driver.depth('low')).waiting;
    // Keys unique to this run: the Postgres store keeps a held record for the window (24 h), and
    // CI reruns on the same database.
    const wholeKey = `${prefix}-whole`;
    const partKey = `${prefix}-part`;
    await url('low').then((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))).catch(() => undefined);
    const whole = { events: batch('whole').events.filter((e) => e.priority === 'low') };
    const refused = await post('/v1/events/batch', whole).set('Idempotency-Key', wholeKey);
    expect(refused.status).toBe(503);
    const part = await post('/v1/events/batch', batch('part')).set('Idempotency-Key', partKey).expect(202);
    expect(part.body.results[1].status).toBe(503);
    // Asked of the Postgres store itself (the SQS absorber's): the answers alone pass with `release`
    // a no-op once the pending time has passed (the idempotency mutation run's survivors). The
    // wholly refused record is deleted (released in the background, hence the wait); the partly
    // held one stays, pending (not held).
    const pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 1 });
    try {
      const held = async (key: string) => (await pool.query<{ held: boolean }>('SELECT held FROM idempotency_keys WHERE key = $1', [key])).rows.map((r) => r.held);
      await waitFor('the wholly refused record released', async () => (await held(wholeKey)).length === 0, 5000, 50);
      expect(await held(partKey)).toEqual([false]);
    } finally {
      await pool.end();
    }

    await ensureSqsQueues(env);
    const retryWhole = await post('/v1/events/batch', whole).set('Idempotency-Key', wholeKey).expect(202);
    expect(retryWhole.body.results).toEqual([{ id: expect.any(String), lane: 'low' }]);
    // The partly held one: its record stayed pending; once that is past ENQUEUE_TIMEOUT_MS + 250 ms
    // the retry enqueues all its events again under the same ids (the ledger skips the held one).
    await new Promise((r) => setTimeout(r, 1400));
    const retryPart = await post('/v1/events/batch', batch('part')).set('Idempotency-Key', partKey).expect(202);
    expect(retryPart.body.results).toEqual([{ id: part.body.results[0].id, lane: 'normal' }, { id: expect.any(String), lane: 'low' }]);
    expect(await lowWaiting()).toBe(2);
  });
});
