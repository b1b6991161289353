import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { LambdaEntry } from '../apps/worker/src/lambda/lambda-entry';
import { Metrics } from '@spillway/health';
import { parsePromText, sumOf } from '@spillway/ops/prom-text';
import { QUEUE_DRIVER, queueName } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/sqs/sqs.driver';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues } from './support/drivers';
import { testConfig, testEnv, uniquePrefix } from './support/env';
import { EventSourceMapping, lambdaContext, sqsEvent } from './support/lambda-events';
import { Ledger } from './support/ledger';
import { TcpProxy } from './faults/support/tcp-proxy';

/**
 * Postgres unreachable (a TCP relay the test cuts): SQS counts every receive, so the function
 * retries while the invocation has time rather than returning the record at once.
 */
describe('Lambda worker with Postgres down', () => {
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('ldown'), MAX_ATTEMPTS: '3' };
  const config = testConfig(env);
  const ledger = new Ledger();
  let proxy: TcpProxy;
  let entry: LambdaEntry;
  let absorber: NestFastifyApplication;
  let mapping: EventSourceMapping;

  beforeAll(async () => {
    await ensureSqsQueues(env);
    absorber = await startAbsorber(config);
    const db = new URL(config.databaseUrl);
    proxy = await TcpProxy.start({ host: db.hostname, port: Number(db.port || 5432) });
    db.host = `127.0.0.1:${proxy.port}`;
    entry = new LambdaEntry(undefined, testEnv({ ...env, WORKER_LANES: 'normal', DB_POOL_MAX: '2', DATABASE_URL: db.toString() }));
    await entry.start();
    mapping = new EventSourceMapping(EventSourceMapping.client(config.sqsEndpoint!, config.awsRegion), queueName(config.queuePrefix, 'normal'), config.awsRegion);
  });
  afterAll(async () => {
    await entry.close();
    await proxy.cut();
    await absorber.close();
    mapping.client.destroy();
    await ledger.close();
  });

  const postOne = async () => (await request(absorber.getHttpServer()).post('/v1/events').send({ type: 'order.created', data: {}, priority: 'normal' }).expect(202)).body.id as string;

  it('an outage shorter than the time left: the record is applied in the same invocation, on its first attempt', async () => {
    const id = await postOne();
    const records = await mapping.receiveEvents([id]);
    await proxy.cut();
    const back = setTimeout(() => void proxy.restore(), 2500);
    const response = await entry.handle(sqsEvent(records), lambdaContext(20_000)).finally(() => clearTimeout(back));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await ledger.rows([id])).toEqual([expect.objectContaining({ id, attempts: 1 })]);
    // Tries while Postgres was down are deferred, not failures (docs/operations.md): an alert on
    // failed deliveries must not fire for a database outage the worker waited out.
    const m = parsePromText(await (await entry.start()).get(Metrics).registry.metrics());
    expect(sumOf(m, 'spillway_deliveries_total', { lane: 'normal', outcome: 'deferred' })).toBeGreaterThanOrEqual(1);
    expect(sumOf(m, 'spillway_deliveries_total', { lane: 'normal', outcome: 'succeeded' })).toBe(1);
    expect(sumOf(m, 'spillway_deliveries_failed_total', { lane: 'normal' }) ?? 0).toBe(0);
    await mapping.settle(records, response);
  });

  it('an outage longer than the time left: the record is returned before the invocation ends, unapplied', async () => {
    const id = await postOne();
    const records = await mapping.receiveEvents([id]);
    await proxy.cut();
    const started = Date.now();
    const response = await entry.handle(sqsEvent(records), lambdaContext(6000));
    // Tries until less than the margin (3 s) plus one pause (1 s) is left, then answers in time.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0].messageId }]);
    await proxy.restore();
    expect(await ledger.counts([id])).toEqual(new Map());
    await mapping.delete(records[0]);
  });

  it('an outage on the last attempt: the record is returned, never dead-lettered (the outage is not its fault)', async () => {
    const id = await postOne();
    const records = await mapping.receiveEvents([id]);
    records[0].attributes.ApproximateReceiveCount = env.MAX_ATTEMPTS;
    await proxy.cut();
    const response = await entry.handle(sqsEvent(records), lambdaContext(4500));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0].messageId }]);
    await proxy.restore();
    expect(await absorber.get<SqsDriver>(QUEUE_DRIVER).deadLetters('normal', 10)).toEqual([]);
    expect(await ledger.counts([id])).toEqual(new Map());
    await mapping.delete(records[0]);
  });
});
