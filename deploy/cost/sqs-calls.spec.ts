import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LANES } from '@spillway/config/lanes';
import { ROOT } from '../outputs';
import { spillway } from '../spillway';
import { Measured } from './measured';
import { eksPlan } from './eks-plan';
import { fixedSqsCallsPerMinute, renderSqsCallTable, sqsCallRows } from './sqs-calls';
import { eksDefinition } from '../model/targets';

const m: Measured = {
  sources: [],
  machineCpus: 2,
  absorberCpuMsPerRequest: { bullmq: 0.35, sqs: 0.33 },
  redisCpuMsPerRequest: 0.05,
  absorberProcessRps: 3000,
  workerDrainEventsPerSecond: 34_000,
  sqsCallsPerEvent: 0.25,
};

const perMinute = (per: string, busy: boolean) =>
  sqsCallRows(eksDefinition(spillway))
    .filter((r) => r.per === per)
    .reduce((s, r) => s + (busy ? (r.busyPerMinute ?? r.idlePerMinute) : r.idlePerMinute), 0);

describe('SQS requests no event pays for', () => {
  const rows = sqsCallRows(eksDefinition(spillway));
  const row = (re: RegExp) => rows.filter((r) => re.test(r.source));

  it('the absorber\'s shedder: 3 lanes read once a minute idle, at most every 5 s busy (one GetQueueAttributes each)', () => {
    expect(row(/^absorber: load shedder/)).toEqual([
      expect.objectContaining({ per: 'absorber', calls: 'GetQueueAttributes', idlePerMinute: 3, busyPerMinute: 36 }),
    ]);
    // At rest the shedder keeps within the 12 a minute; the old 250 ms x 2 calls x 3 lanes was 1,440.
    expect(row(/^absorber: load shedder/)[0].idlePerMinute).toBeLessThanOrEqual(12);
  });

  it('probes, scrapes and long polls, from the rendered manifests and the worker\'s concurrency', () => {
    // readinessProbe.periodSeconds 5 in the rendered Deployments, but a ping is answered by any SQS
    // answer of the last 30 s: at most 2 a minute for an idle absorber, none for a worker (its
    // long polls answer every 20 s), none busy (sends answer).
    expect(row(/readiness probe every 5 s/).map((r) => [r.per, r.idlePerMinute, r.busyPerMinute])).toEqual([['absorber', 2, 0], ['worker', 0, 0]]);
    // Scrapes every 30 s; depth() of each lane (its queue and DLQ) = 6 calls, at most once a minute (SQS_METRICS_READ_S 60).
    expect(row(/metrics scrape/).map((r) => r.idlePerMinute)).toEqual([6, 6]);
    // WORKER_CONCURRENCY critical=8,normal=4 on pods (low runs on Lambda): one poller each, 3 empty 20 s polls a minute.
    expect(row(/long polls \(critical 1, normal 1\)/)).toEqual([expect.objectContaining({ per: 'worker', calls: 'ReceiveMessage', idlePerMinute: 6 })]);
    expect(row(/^KEDA: 2 queue triggers every 15 s/)[0].idlePerMinute).toBe(8);
    // The whole idle absorber within the 12 a minute (test/sqs-idle-calls.test.ts measures it).
    expect(perMinute('absorber', false)).toBe(2 + 6 + 3);
    expect(perMinute('absorber', false)).toBeLessThanOrEqual(12);
    expect(perMinute('absorber', true)).toBe(0 + 6 + 36);
    expect(perMinute('worker', false)).toBe(0 + 6 + 6);
    expect(LANES).toHaveLength(3);
  });

  it('prices them on their own SQS line: at rest at minimum size, at the busy bound above 0 rps', () => {
    const plan = eksPlan(eksDefinition(spillway), m, 100);
    expect(plan.pods.map((p) => p.pods)).toEqual([5, 1]);
    const perMin = fixedSqsCallsPerMinute(rows, { absorber: 5, worker: 1 }, true);
    expect(perMin).toBe(5 * 42 + (0 + 6 + 6) + (8 + 15));
    const millions = (perMin * 60 * 730) / 1e6;
    const line = plan.items.find((i) => /requests at rest/.test(i.item))!;
    expect(line.item).toBe(`SQS, ${millions.toFixed(1)} M requests at rest (probes, scrapes, shedder, idle polls)`);
    expect(line.monthly).toBeCloseTo(millions * 0.4, 6);
    // The old shedder alone, 24 calls a second per absorber replica, would have been $126 a month at 5 replicas.
    expect(line.monthly).toBeLessThan(10);
  });

  it('docs/sqs-driver.md lists the same calls', () => {
    const doc = readFileSync(join(ROOT, 'docs/sqs-driver.md'), 'utf8');
    const copy = /<!-- sqs-calls:start -->\n([\s\S]*?)\n<!-- sqs-calls:end -->/.exec(doc)?.[1];
    expect(copy).toBe(renderSqsCallTable(eksDefinition(spillway)));
  });
});
