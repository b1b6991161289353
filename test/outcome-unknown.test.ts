// The broker never answers: every ingest route says "outcome unknown" (504), never "refused, nothing
// held" (503), which would tell a sender without an Idempotency-Key that a blind retry is safe
// (docs/delivery.md). In-process, the driver's write replaced by silence, on both drivers.
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Metrics } from '@spillway/health';
import { QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { startAbsorber } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix } from './support/env';
import { SENDERS, sourcesEnv } from './support/hook-senders';

const generic = SENDERS.find((s) => s.source === 'generic')!;

describe.each(DRIVERS)('a broker that never answers: 504 outcome unknown on every route (%s)', (driverName) => {
  let app: NestFastifyApplication;
  let writes = 0;
  const post = (path: string, body: unknown) => request(app.getHttpServer()).post(path).set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    const env = {
      QUEUE_DRIVER: driverName,
      QUEUE_PREFIX: uniquePrefix('unknown'),
      ENQUEUE_TIMEOUT_MS: '200',
      ...sourcesEnv([generic]),
    };
    if (driverName === 'sqs') await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
    // The write reaches the driver and is never answered (a broker that went silent mid-write).
    const driver = app.get<QueueDriver>(QUEUE_DRIVER);
    driver.enqueue = () => {
      writes++;
      return new Promise(() => undefined);
    };
  });
  afterAll(() => app?.close());

  const unknownBody = (lane: string) => ({
    statusCode: 504,
    error: 'Outcome Unknown',
    outcome: 'unknown',
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    lane,
    message: expect.stringMatching(/^outcome unknown: the broker did not answer within 200 ms .*; event [0-9a-f-]{36} may or may not be held; /),
  });

  it('POST /v1/events: 504 with the event id and lane, Retry-After 1, counted as a rejection; with a key, the advice to retry with it', async () => {
    const rejected = async () => (await app.get(Metrics).rejected.get()).values.find((v) => v.labels.status === '504')?.value ?? 0;
    const before = await rejected();
    const unkeyed = await post('/v1/events', { type: 'order.created', data: {}, priority: 'critical' });
    expect([unkeyed.status, unkeyed.headers['retry-after']]).toEqual([504, '1']);
    expect(unkeyed.body).toEqual(unknownBody('critical'));
    expect(unkeyed.body.message).toMatch(/a retry without an Idempotency-Key may double the event/);
    const keyed = await post('/v1/events', { type: 'order.created', data: {} }).set('Idempotency-Key', `${driverName}-${Date.now()}`);
    expect(keyed.status).toBe(504);
    expect(keyed.body).toEqual(unknownBody('normal'));
    expect(keyed.body.message).toMatch(/retry with the same Idempotency-Key: a retry cannot double the event$/);
    expect(await rejected()).toBe(before + 2);
    expect(writes).toBeGreaterThanOrEqual(2);
  });

  it('POST /v1/events/batch: 504, each event unknown with its id', async () => {
    const res = await post('/v1/events/batch', { events: [{ type: 'a', data: {} }, { type: 'b', data: {}, priority: 'low' }] });
    expect([res.status, res.headers['retry-after']]).toEqual([504, '1']);
    expect(res.body.results).toEqual([
      { id: expect.any(String), lane: 'normal', outcome: 'unknown', status: 504, error: expect.stringMatching(/^outcome unknown: /) },
      { id: expect.any(String), lane: 'low', outcome: 'unknown', status: 504, error: expect.stringMatching(/^outcome unknown: /) },
    ]);
  });

  it('POST /v1/hooks/<source>: a verified delivery whose write is never answered is 504, counted as unknown_outcome', async () => {
    const body = generic.body(Date.now());
    const signed = generic.sign(body, generic.secrets[0], { id: `unknown-${driverName}` });
    let req = request(app.getHttpServer()).post(`/v1/hooks/${generic.source}`);
    for (const [name, value] of Object.entries(signed.headers)) req = req.set(name, value);
    const res = await req.send(body);
    expect([res.status, res.headers['retry-after']]).toEqual([504, '1']);
    expect(res.body).toEqual(unknownBody('normal'));
    const text = await app.get(Metrics).registry.metrics();
    expect(text).toMatch(/^spillway_webhook_requests_total\{source="generic",outcome="unknown_outcome"\} 1$/m);
  });
});
