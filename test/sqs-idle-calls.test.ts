import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { LaneShedder, SHEDDER_SAMPLING } from '../apps/absorber/src/ingest/lane-shedder';
import { Lane } from '../libs/config/src';
import { QUEUE_DRIVER } from '../libs/queue/src';
import { SqsDriver } from '../libs/queue/src/drivers';
import { startAbsorber } from './support/apps';
import { ensureSqsQueues, freshDriver } from './support/drivers';
import { sleep, testConfig, uniquePrefix } from './support/env';

const WINDOW_MS = 30_000;
/** The shedder's plan at ten times speed: 30 s here stand for 5 minutes of the real plan. */
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

// Cost at rest (issue 35): an idle absorber on SQS makes at most 12 SQS calls a minute. Both
// halves run side by side over one 30 s window (fauxqs, no probes or scrapes: the shedder alone).
describe('SQS calls of an idle absorber', () => {
  let app: NestFastifyApplication;
  let driver: SqsDriver;

  beforeAll(async () => {
    const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('idle') };
    await ensureSqsQueues(env);
    app = await startAbsorber(testConfig(env));
    driver = app.get(QUEUE_DRIVER);
  });
  afterAll(() => app.close());

  it('is at most 12 a minute: the absorber as built over 30 s, and its shedder over 5 minutes at ten times speed', async () => {
    await sleep(1000); // the boot read and queue URL lookups are done
    const before = { ...driver.apiCalls.calls };

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
    await sleep(WINDOW_MS);
    fast.stop();
    await lanes.close();

    const absorberCalls = minus(driver.apiCalls.calls, before);
    const absorberPerMinute = (total(absorberCalls) * 60_000) / WINDOW_MS;
    const fastCalls = minus(lanes.apiCalls.calls, fastBefore);
    const realMinutes = (WINDOW_MS * SPEED) / 60_000;
    const fastPerMinute = total(fastCalls) / realMinutes;
    process.stdout.write(
      `idle absorber: ${JSON.stringify(absorberCalls)} in ${WINDOW_MS / 1000} s = ${absorberPerMinute}/min; ` +
        `shedder at x${SPEED}: ${JSON.stringify(fastCalls)} in ${realMinutes} plan minutes = ${fastPerMinute}/min\n`,
    );
    expect(absorberPerMinute).toBeLessThanOrEqual(12);
    expect(fastPerMinute).toBeLessThanOrEqual(12);
    // It does read: each lane about once per plan minute, one GetQueueAttributes each (no DLQ read).
    expect(reads.length).toBeGreaterThanOrEqual(3 * (realMinutes - 1));
    expect(fastCalls).toEqual({ GetQueueAttributesCommand: reads.length });
  });
});
