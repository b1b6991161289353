import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { MetricsListener } from '../apps/absorber/src/metrics-listener';
import { QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { startAbsorber } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { testConfig, uniquePrefix, waitFor } from './support/env';

const KEY = 'test-ingest-key-2d4f6a8c0e3b5d7f9a1c';

describe.each(DRIVERS)('absorber HTTP API on %s', (driverName) => {
  let app: NestFastifyApplication;
  let driver: QueueDriver;
  const http = () => request(app.getHttpServer());
  // The Postgres store (sqs) keeps a key's record for 24 h, and reruns share the database.
  const runKey = (name: string) => `${name}-${driverName}-${Date.now()}`;
  const post = (path: string, body: unknown) =>
    http().post(path).set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/json').send(JSON.stringify(body));

  beforeAll(async () => {
    const env = {
      QUEUE_DRIVER: driverName,
      QUEUE_PREFIX: uniquePrefix('absorber'),
      INGEST_API_KEYS: `other-key-9b1d3f5a7c9e2b4d6f8a0c2e,${KEY}`,
      LANE_ROUTES: 'payment.captured=critical,analytics.*=low',
      BODY_LIMIT_BYTES: '4096',
    };
    if (driverName === 'sqs') await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
    driver = app.get(QUEUE_DRIVER);
  });
  afterAll(() => app.close());

  it('accepts an event with 202 and puts it on its lane', async () => {
    const before = await driver.depth('critical');
    const res = await post('/v1/events', { type: 'payment.captured', data: { amount: 5 } }).expect(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), lane: 'critical' });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const after = await driver.depth('critical');
    expect(after.waiting).toBe(before.waiting + 1);
  });

  it('routes by priority, then type, then normal', async () => {
    expect((await post('/v1/events', { type: 'payment.captured', data: {}, priority: 'low' })).body.lane).toBe('low');
    expect((await post('/v1/events', { type: 'analytics.click', data: {} })).body.lane).toBe('low');
    expect((await post('/v1/events', { type: 'order.created', data: {} })).body.lane).toBe('normal');
  });

  it('returns the same id for a repeated Idempotency-Key and enqueues nothing new', async () => {
    const body = { type: 'order.created', data: { n: 1 }, priority: 'critical' };
    const idemKey = runKey('order');
    const first = await post('/v1/events', body).set('Idempotency-Key', idemKey).expect(202);
    const depth = await driver.depth('critical');
    const second = await post('/v1/events', body).set('Idempotency-Key', idemKey).expect(202);
    expect(second.body).toEqual(first.body);
    expect((await driver.depth('critical')).waiting).toBe(depth.waiting);
  });

  it('keeps idempotency keys per API key', async () => {
    const body = { type: 'order.created', data: {} };
    const shared = runKey('shared');
    const mine = await post('/v1/events', body).set('Idempotency-Key', shared).expect(202);
    const theirs = await http()
      .post('/v1/events')
      .set('Authorization', 'Bearer other-key-9b1d3f5a7c9e2b4d6f8a0c2e')
      .set('Idempotency-Key', shared)
      .send(body)
      .expect(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('enqueues every request without an Idempotency-Key, however many one API key sends', async () => {
    // Written after the ingest-service mutation run: with `if (key)` forced true, every unkeyed
    // request reserved a record under the key "undefined", and on BullMQ every one after the first
    // in the window was answered 202 from that record, its event never enqueued. Each case above
    // looks at one request's answer, or is the first unkeyed request of its absorber.
    const before = (await driver.depth('normal')).waiting;
    const first = await post('/v1/events', { type: 'order.created', data: { n: 1 } }).expect(202);
    const second = await post('/v1/events', { type: 'order.created', data: { n: 2 } }).expect(202);
    const batch = await post('/v1/events/batch', { events: [{ type: 'order.created', data: { n: 3 } }] }).expect(202);
    expect(new Set([first.body.id, second.body.id, batch.body.results[0].id]).size).toBe(3);
    expect((await driver.depth('normal')).waiting).toBe(before + 3);
  });

  it('accepts a batch, answering each event on its own', async () => {
    const res = await post('/v1/events/batch', {
      events: [{ type: 'a', data: {} }, { type: 'b' }, { type: 'payment.captured', data: {} }, { type: 'c', data: {} }],
    }).expect(202);
    expect(res.body.results).toEqual([
      { id: expect.any(String), lane: 'normal' },
      { error: 'events[1].data: required, must be a JSON object' },
      { id: expect.any(String), lane: 'critical' },
      { id: expect.any(String), lane: 'normal' },
    ]);
  });

  it('a batch of exactly 500 is judged (every event invalid: 202, each with its error, nothing written)', async () => {
    const before = (await driver.depth('normal')).waiting;
    const res = await post('/v1/events/batch', { events: Array.from({ length: 500 }, () => ({})) }).expect(202);
    expect(res.body.results).toHaveLength(500);
    expect(res.body.results[499]).toEqual({ error: expect.stringMatching(/^events\[499\]\.type: required/) });
    expect((await driver.depth('normal')).waiting).toBe(before);
  });

  it('gives a retried batch with the same Idempotency-Key the same ids', async () => {
    const body = { events: [{ type: 'a', data: {} }, { type: 'b', data: {} }] };
    const key = runKey('batch');
    const first = await post('/v1/events/batch', body).set('Idempotency-Key', key).expect(202);
    const second = await post('/v1/events/batch', body).set('Idempotency-Key', key).expect(202);
    expect(second.body).toEqual(first.body);
    expect(new Set(first.body.results.map((r: { id: string }) => r.id)).size).toBe(2);
  });

  describe('refuses bad input with the exact status and a message naming the problem', () => {
    const cases: Array<[string, () => request.Test, number, RegExp]> = [
      ['no auth', () => http().post('/v1/events').send({ type: 'a', data: {} }), 401, /missing Authorization header/],
      ['wrong key', () => http().post('/v1/events').set('Authorization', 'Bearer nope').send({ type: 'a', data: {} }), 401, /API key not accepted/],
      ['not bearer', () => http().post('/v1/events').set('Authorization', `Basic ${KEY}`).send({ type: 'a', data: {} }), 401, /Bearer/],
      ['broken JSON', () => post('/v1/events', {}).send('{"type":'), 400, /not valid JSON/],
      ['empty body', () => http().post('/v1/events').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/json'), 400, /body is empty/],
      ['missing type', () => post('/v1/events', { data: {} }), 400, /^type: required/],
      ['data not an object', () => post('/v1/events', { type: 'a', data: 3 }), 400, /^data: required, must be a JSON object/],
      ['bad priority', () => post('/v1/events', { type: 'a', data: {}, priority: 'urgent' }), 400, /^priority: must be one of/],
      ['unknown field', () => post('/v1/events', { type: 'a', data: {}, tenant: 'x' }), 400, /^tenant: unknown field/],
      ['bad Idempotency-Key', () => post('/v1/events', { type: 'a', data: {} }).set('Idempotency-Key', 'a b'), 400, /^Idempotency-Key/],
      ['text/plain', () => http().post('/v1/events').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'text/plain').send('hello'), 415, /Content-Type must be application\/json/],
      ['xml', () => http().post('/v1/events').set('Authorization', `Bearer ${KEY}`).set('Content-Type', 'application/xml').send('<a/>'), 415, /Content-Type must be application\/json/],
      ['over the body limit', () => post('/v1/events', { type: 'a', data: { s: 'x'.repeat(5000) } }), 413, /over the limit of 4096 bytes/],
      ['batch not an array', () => post('/v1/events/batch', { events: {} }), 400, /^events: required, must be an array/],
      ['batch body an array', () => post('/v1/events/batch', [{ type: 'a', data: {} }]), 400, /^body must be a JSON object with an "events" array/],
      ['batch body a string', () => post('/v1/events/batch', 'events'), 400, /^body must be a JSON object with an "events" array/],
      ['batch body null', () => post('/v1/events/batch', null), 400, /^body must be a JSON object with an "events" array/],
      ['batch unknown field', () => post('/v1/events/batch', { events: [{ type: 'a', data: {} }], tenant: 'x' }), 400, /^tenant: unknown field \(allowed: events\)/],
      ['empty batch', () => post('/v1/events/batch', { events: [] }), 400, /at least one event/],
      ['batch over 500', () => post('/v1/events/batch', { events: Array.from({ length: 501 }, () => ({})) }), 400, /holds 501 events; the limit is 500/],
      ['unknown route', () => post('/v1/nothing', {}), 404, /Cannot POST \/v1\/nothing/],
    ];
    it.each(cases)('%s', async (_name, send, status, message) => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.message).toMatch(message);
    });
  });

  it('serves liveness, readiness and metrics', async () => {
    // An event of its own for the counters below: this case must pass alone too (mutation testing
    // runs only the cases that reach a mutant).
    await post('/v1/events', { type: 'order.created', data: {}, priority: 'critical' }).expect(202);
    await http().get('/health/live').expect(200, { status: 'ok' });
    const ready = await http().get('/health/ready').expect(200);
    // Broker and drain only: the absorber never checks (or needs) the database.
    expect(ready.body.info).toEqual({ broker: { status: 'up', driver: driverName }, shutdown: { status: 'up' } });
    // Never on the public listener; on the absorber's own metrics port instead.
    await http().get('/metrics').expect(404);
    const port = await app.get(MetricsListener).listen(0, '127.0.0.1');
    const metrics = await request(`http://127.0.0.1:${port}`).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4');
    await request(`http://127.0.0.1:${port}`).post('/v1/events').expect(404);
    expect(metrics.text).toMatch(/spillway_events_accepted_total\{lane="critical"\} [1-9]/);
    expect(metrics.text).toMatch(/spillway_queue_depth\{lane="critical",state="waiting"\} [1-9]/);
  });
});

// Its own queues: it takes the events back from the broker, which would empty the lanes other tests count.
describe.each(DRIVERS)('a batch answered 202 on %s: the broker holds each valid event, on its lane, once', (driverName) => {
  let app: NestFastifyApplication;
  let driver: QueueDriver;
  beforeAll(async () => {
    const env = { QUEUE_DRIVER: driverName, QUEUE_PREFIX: uniquePrefix('batchheld'), INGEST_API_KEYS: KEY, LANE_ROUTES: 'payment.captured=critical' };
    if (driverName === 'sqs') await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
    driver = app.get(QUEUE_DRIVER);
  });
  afterAll(() => app.close());

  it('takes back from the broker exactly the events the 202 named', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/events/batch')
      .set('Authorization', `Bearer ${KEY}`)
      .send({ events: [{ type: 'a', data: { n: 1 } }, { type: 'b' }, { type: 'payment.captured', data: { n: 2 }, key: 'order-9' }, { type: 'c', data: { n: 3 } }] })
      .expect(202);
    const held = res.body.results.filter((r: { id?: string }) => r.id) as Array<{ id: string; lane: string }>;
    expect(held.map((h) => h.lane)).toEqual(['normal', 'critical', 'normal']);
    // Depth counts deliveries (one lane's events of a request travel as one), so read the events.
    const seen = new Map<string, string[]>();
    const consumers = await Promise.all(
      (['normal', 'critical'] as const).map((lane) =>
        driver.consume(lane, async (d) => d.events.forEach((e) => seen.set(e.id, [...(seen.get(e.id) ?? []), `${d.lane}/${e.type}/${e.key ?? '-'}/${JSON.stringify(e.data)}`])), { concurrency: 1 }),
      ),
    );
    try {
      await waitFor('the batch at the broker', async () => held.every((h) => seen.has(h.id)), 10_000, 50);
    } finally {
      await Promise.all(consumers.map((c) => c.close()));
    }
    expect(held.map((h) => seen.get(h.id))).toEqual([['normal/a/-/{"n":1}'], ['critical/payment.captured/order-9/{"n":2}'], ['normal/c/-/{"n":3}']]);
    expect(seen.size).toBe(3);
  });
});
