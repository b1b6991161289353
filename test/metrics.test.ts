import { Injectable } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { EventHandler, HandlesEvents } from '../apps/worker/src/handlers/event-handler';
import { Metrics, PinoNestLogger } from '@spillway/health';
import { parsePromText, Sample, sumOf } from '@spillway/ops/prom-text';
import { QUEUE_DRIVER, QueueDriver } from '@spillway/queue';
import { startAbsorber, startWorker } from './support/apps';
import { DRIVERS, ensureSqsQueues } from './support/drivers';
import { sleep, testConfig, uniquePrefix, waitFor } from './support/env';

const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

@Injectable()
@HandlesEvents('test.poison')
class PoisonHandler implements EventHandler {
  async handle(): Promise<void> {
    throw new Error('poison handler always throws');
  }
}

const scrape = async (app: NestFastifyApplication): Promise<Sample[]> => parsePromText(await app.get(Metrics).registry.metrics());

describe.each(DRIVERS)('metrics and trace context on %s (real broker)', (driverName) => {
  const env = { QUEUE_DRIVER: driverName, QUEUE_PREFIX: uniquePrefix('metrics'), MAX_ATTEMPTS: '2', RETRY_BASE_MS: '50' };
  const config = testConfig(env);
  let absorber: NestFastifyApplication;
  let worker: NestFastifyApplication | undefined;
  let driver: QueueDriver;
  const post = (body: object, traceparent?: string) => {
    const req = request(absorber.getHttpServer()).post('/v1/events').send(body);
    return traceparent ? req.set('traceparent', traceparent) : req;
  };

  beforeAll(async () => {
    if (driverName === 'sqs') await ensureSqsQueues(env);
    absorber = await startAbsorber(config);
    driver = absorber.get(QUEUE_DRIVER);
  });
  afterAll(async () => {
    await worker?.close();
    await absorber.close();
  });

  it('times ingest per lane and status, and shows depth and the age of the oldest event while no worker runs', async () => {
    await post({ type: 'test.metrics', data: {}, priority: 'low' }).expect(202);
    await post({ type: 'test.metrics', data: {}, priority: 'low' }, 'not-a-traceparent').expect(202); // ignored, not refused
    await post({ type: 'test.metrics' }).expect(400);
    await request(absorber.getHttpServer()).post('/v1/events/batch').send({ events: [{ type: 'test.metrics', data: {}, priority: 'critical' }] }).expect(202);
    await sleep(1500);
    const m = await scrape(absorber);
    expect(sumOf(m, 'spillway_ingest_request_seconds_count', { lane: 'low', status: '202' })).toBe(2);
    expect(sumOf(m, 'spillway_ingest_request_seconds_count', { lane: 'none', status: '400' })).toBe(1);
    expect(sumOf(m, 'spillway_ingest_request_seconds_count', { lane: 'batch', status: '202' })).toBe(1);
    expect(sumOf(m, 'spillway_events_accepted_total', { lane: 'low' })).toBe(2);
    expect(sumOf(m, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sumOf(m, 'spillway_queue_depth', { lane: 'low', state: 'waiting' })).toBeGreaterThanOrEqual(1);
    const age = sumOf(m, 'spillway_queue_oldest_age_seconds', { lane: 'low' });
    if (driverName === 'bullmq') {
      expect(age).toBeGreaterThanOrEqual(1.5);
      expect(age).toBeLessThan(60);
    } else {
      // SQS: the queue API does not say; an absorber has no pickups of its own, so no value at all.
      expect(age).toBeUndefined();
      expect(await driver.oldestAgeSeconds('low')).toBeUndefined();
    }
  });

  it('counts the worker side (outcomes, attempts, wait) and carries traceparent to the dead letter and the log line', async () => {
    const warnings: unknown[] = [];
    const warn = vi.spyOn(PinoNestLogger.prototype, 'warn').mockImplementation((message) => void warnings.push(message));
    try {
      // Its own low-lane event, left waiting > 1.5 s before the worker starts: this case must pass
      // alone too (mutation testing runs only the cases that reach a mutant).
      await post({ type: 'test.metrics', data: {}, priority: 'low' }).expect(202);
      const poison = await post({ type: 'test.poison', data: {}, priority: 'normal' }, TRACE).expect(202);
      await sleep(1500);
      worker = await startWorker(config, [PoisonHandler]);
      const w = await waitFor('the worker to handle both lanes', async () => {
        const s = await scrape(worker!);
        return (sumOf(s, 'spillway_deliveries_total', { lane: 'normal', outcome: 'failed_final' }) ?? 0) >= 1 &&
          (sumOf(s, 'spillway_deliveries_total', { lane: 'low', outcome: 'succeeded' }) ?? 0) >= 1
          ? s
          : undefined;
      });
      expect(sumOf(w, 'spillway_deliveries_total', { lane: 'normal', outcome: 'failed' })).toBe(1);
      expect(sumOf(w, 'spillway_delivery_attempt_sum', { lane: 'normal' })).toBe(3); // attempts 1 and 2
      // Both failed attempts are failures (docs/operations.md: failed + failed_final), and every
      // delivery is timed under its own lane (the dashboard's handling p99 is by lane).
      expect(sumOf(w, 'spillway_deliveries_failed_total', { lane: 'normal' })).toBe(2);
      expect(sumOf(w, 'spillway_deliveries_failed_total', { lane: 'low' }) ?? 0).toBe(0);
      expect(sumOf(w, 'spillway_delivery_seconds_count', { lane: 'normal' })).toBe(2);
      expect(sumOf(w, 'spillway_delivery_seconds_count', { lane: 'low' })).toBe(sumOf(w, 'spillway_deliveries_total', { lane: 'low' }));
      // The low-lane events had waited > 1.5 s for this worker: the wait histogram says so.
      const waited = sumOf(w, 'spillway_event_wait_seconds_count', { lane: 'low' })!;
      expect(waited).toBeGreaterThanOrEqual(1);
      expect(sumOf(w, 'spillway_event_wait_seconds_bucket', { lane: 'low', le: '1' })).toBeLessThan(waited);
      // Nothing waits on low any more: 0 on both drivers (SQS: the worker's own view).
      expect(sumOf(w, 'spillway_queue_oldest_age_seconds', { lane: 'low' })).toBe(0);
      expect(sumOf(w, 'spillway_broker_up')).toBe(1);

      const dead = await waitFor('the dead letter', async () => (await driver.deadLetters('normal', 10)).find((d) => d.events.some((e) => e.id === poison.body.id)));
      expect(dead.events[0].traceparent).toBe(TRACE);
      const a = await waitFor('dead letters counted', async () => {
        const s = await scrape(absorber);
        return sumOf(s, 'spillway_dead_letters', { lane: 'normal' }) === 1 ? s : undefined;
      });
      expect(sumOf(a, 'spillway_dead_letters', { lane: 'low' })).toBe(0);
      const lines = warnings.filter((l) => (l as { lane?: string }).lane === 'normal') as Array<Record<string, unknown>>;
      expect(lines.map((l) => l.outcome)).toEqual(['failed', 'failed_final']);
      expect(lines[1]).toMatchObject({ traceparents: [TRACE], eventIds: [poison.body.id], error: expect.stringContaining('poison handler always throws') });
    } finally {
      warn.mockRestore();
    }
  });
});
