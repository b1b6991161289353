import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { LaneShedder } from '../apps/absorber/src/ingest/lane-shedder';
import { Lane } from '@spillway/config';
import { MetricsListener } from '../apps/absorber/src/metrics-listener';
import { QUEUE_DRIVER, SHEDDER_SAMPLING } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues, freshDriver } from './support/drivers';
import { sleep, testConfig, uniquePrefix } from './support/env';

const WINDOW_MS = 60_000;
/** What the cluster does to every absorber pod: a readiness probe every 5 s, a Prometheus scrape every 15 s. */
const PROBE_MS = 5_000;
const SCRAPE_MS = 15_000;
/** The shedder's plan at ten times speed: 60 s here stand for 10 minutes of the real plan. */
const SPEED = 10;
const FAST_PLAN = {
  tickMs: SHEDDER_SAMPLING.tickMs / SPEED,
  idleMs: SHEDDER_SAMPLING.idleMs / SPEED,
  busyMs: SHEDDER_SAMPLING.busyMs / SPEED,
  nearShare: SHEDDER_SAMPLING.nearShare,
  exactDepth: false,
};

const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
const minus = (now: Record<string, number>, then: Record<string, number>) =>
  Object.fromEntries(Object.entries(now).map(([k, v]): [string, number] => [k, v - (then[k] ?? 0)]).filter(([, v]) => v > 0));

// Cost at rest (issue 35): an idle absorber on SQS makes at most 12 SQS calls a minute, counting
// everything a pod sees: its shedder, readiness probes and metrics scrapes. Both halves run side
// by side over one 60 s window (fauxqs; every call counted by the driver's own client middleware).
describe('SQS calls of an idle absorber', () => {
  let app: NestFastifyApplication;
  let driver: SqsDriver;
  let metricsUrl: string;

  beforeAll(async () => {
    // SQS_METRICS_READ_S: the production default (testEnv sets 0 for the other suites).
    const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('idle'), SQS_METRICS_READ_S: '60' };
    await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
    driver = app.get(QUEUE_DRIVER);
    metricsUrl = `http://127.0.0.1:${await app.get(MetricsListener).listen(0, '127.0.0.1')}/metrics`;
  });
  afterAll(() => app.close());

  const probe = async () => (await request(app.getHttpServer()).get('/health/ready')).status;
  const scrape = async () => {
    const text = await (await fetch(metricsUrl)).text();
    return /spillway_queue_depth\{lane="low",state="waiting"\} 0/.test(text) && /spillway_broker_up 1/.test(text);
  };

  it('is at most 12 a minute with probes every 5 s and a scrape every 15 s, and its shedder over 10 minutes at ten times speed', async () => {
    await sleep(1000); // the boot read and queue URL lookups are done
    // As on a pod: the first probe and scrape came at start, before the window.
    expect(await probe()).toBe(200);
    expect(await scrape()).toBe(true);
    const before = { ...driver.apiCalls.calls };
    const started = Date.now();
    const probes: Promise<number>[] = [];
    const scrapes: Promise<boolean>[] = [];
    const timers = [
      ...Array.from({ length: WINDOW_MS / PROBE_MS }, (_, i) => setTimeout(() => probes.push(probe()), (i + 1) * PROBE_MS)),
      ...Array.from({ length: WINDOW_MS / SCRAPE_MS }, (_, i) => setTimeout(() => scrapes.push(scrape()), (i + 1) * SCRAPE_MS)),
    ];

    const lanes = (await freshDriver('sqs')) as SqsDriver;
    const reads: Lane[] = [];
    const fast = new LaneShedder(
      { critical: 100_000, normal: 50_000, low: 20_000 },
      (lane) => (reads.push(lane), lanes.backlog(lane)),
      undefined,
      undefined,
      FAST_PLAN,
    );
    await fast.sample(); // resolves the queue URLs, as at boot
    const fastBefore = { ...lanes.apiCalls.calls };
    reads.length = 0;
    fast.start();
    await sleep(WINDOW_MS - (Date.now() - started) + 500);
    fast.stop();
    timers.forEach(clearTimeout);
    await lanes.close();
    // Every probe answered ready and every scrape served the gauges, from whatever they cost.
    expect(await Promise.all(probes)).toEqual(Array(WINDOW_MS / PROBE_MS).fill(200));
    expect(await Promise.all(scrapes)).toEqual(Array(WINDOW_MS / SCRAPE_MS).fill(true));

    const absorberCalls = minus(driver.apiCalls.calls, before);
    const absorberPerMinute = (total(absorberCalls) * 60_000) / WINDOW_MS;
    const fastCalls = minus(lanes.apiCalls.calls, fastBefore);
    const realMinutes = (WINDOW_MS * SPEED) / 60_000;
    const fastPerMinute = total(fastCalls) / realMinutes;
    process.stdout.write(
      `idle absorber (probes every ${PROBE_MS / 1000} s, scrapes every ${SCRAPE_MS / 1000} s): ${JSON.stringify(absorberCalls)} in ${WINDOW_MS / 1000} s = ${absorberPerMinute}/min; ` +
        `shedder at x${SPEED}: ${JSON.stringify(fastCalls)} in ${realMinutes} plan minutes = ${fastPerMinute}/min\n`,
    );
    expect(absorberPerMinute).toBeLessThanOrEqual(12);
    expect(fastPerMinute).toBeLessThanOrEqual(12);
    // It does read: each lane about once per plan minute, one GetQueueAttributes each (no DLQ read).
    expect(reads.length).toBeGreaterThanOrEqual(3 * (realMinutes - 1));
    expect(fastCalls).toEqual({ GetQueueAttributesCommand: reads.length });
  }, 120_000);
});
