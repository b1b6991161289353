import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LANES } from '@spillway/config';
import { pendingDeliveries } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { testConfig, testEnv, uniquePrefix } from '../support/env';
import { FaultLedger } from '../faults/support/fault-ledger';
import { Load } from '../faults/support/load';
import { Member, Stack } from '../faults/support/stack';
import { WeightedProxy } from './support/weighted-proxy';

const run = promisify(execFile);

/**
 * Two stacks on this machine, one Postgres: blue = Hetzner (BullMQ on its own Redis), green = EKS
 * (SQS on the emulator), behind nginx as the weighted DNS stand-in. A steady load goes through
 * nginx while `npm run cutover` moves the traffic 0 -> 10 -> 50 -> 100 to EKS and back.
 */
describe('blue-green move Hetzner <-> EKS', () => {
  const prefix = uniquePrefix('bluegreen');
  const ledger = new FaultLedger();
  let blue: Stack;
  let green: Stack;
  let proxy: WeightedProxy;
  beforeAll(() => ledger.setup());
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([blue?.stop(), green?.stop()]);
    await ledger.close();
  });

  it('moves every lane with no failed request and every acknowledged event applied exactly once', async () => {
    // A generous broker timeout: this test counts failed requests during the shifts, and a 503 for
    // an fsync that stalled past 1 s on a loaded 2-CPU machine says nothing about the cutover.
    const env = { QUEUE_PREFIX: prefix, ENQUEUE_TIMEOUT_MS: '5000' };
    blue = await Stack.start(env, 'bullmq');
    green = await Stack.start(env, 'sqs');
    const [blueAbsorber, greenAbsorber] = [await blue.addAbsorber(), await green.addAbsorber()];
    let blueWorker: Member = await blue.addWorker();
    const greenWorker = await green.addWorker();
    proxy = await WeightedProxy.start({ hetzner: blueAbsorber.url, eks: greenAbsorber.url }, { hetzner: 100, eks: 0 });
    const root = mkdtempSync(join(tmpdir(), 'spillway-cutover-'));
    mkdirSync(join(root, 'deploy'));
    writeFileSync(join(root, 'deploy/traffic.json'), JSON.stringify({ hetzner: 100, eks: 0 }));

    const cutover = (to: string, steps: string, worker: Member) =>
      run(
        process.execPath,
        ['-r', '@swc-node/register', 'deploy/cutover.ts', '--to', to, '--steps', steps, '--hold', '3', '--root', root,
          '--apply', `node ${join(__dirname, 'support/apply-weights.js')} ${proxy.dir}`,
          '--hetzner-url', blueAbsorber.url, '--eks-url', greenAbsorber.url,
          '--hetzner-metrics-url', `${blueAbsorber.metricsUrl}/metrics`, '--eks-metrics-url', `${greenAbsorber.metricsUrl}/metrics`, '--drain-timeout', '60', '--drain-window', '5',
          '--scale-down', `kill -TERM ${worker.proc.child.pid}`],
        { env: testEnv({ QUEUE_PREFIX: prefix, REDIS_URL: blue.redis.url }), timeout: 120_000 },
      );
    const lanes = ['critical', 'normal', 'low'];
    const loads = lanes.map((priority) => new Load(() => [proxy.url], { concurrency: 3, maxEvents: 1_000_000, maxMs: 200_000, priority }).start());
    await Promise.all(loads.map((l) => l.untilAcknowledged(100)));

    const forward = await cutover('eks', '10,50,100', blueWorker);
    expect(forward.stdout).toMatch(/applied hetzner 90 \/ eks 10[\s\S]*applied hetzner 50 \/ eks 50[\s\S]*applied hetzner 0 \/ eks 100/);
    expect(forward.stdout).toContain('done: all traffic on eks, hetzner queues empty');
    expect(proxy.weights()).toEqual({ hetzner: 0, eks: 100 });
    expect(JSON.parse(readFileSync(join(root, 'deploy/traffic.json'), 'utf8'))).toEqual({ hetzner: 0, eks: 100 });
    expect(await blueWorker.proc.exited).toBe(0); // scaled down, after draining
    const before = loads.map((l) => l.result.acknowledged.length);
    await new Promise((r) => setTimeout(r, 1500));
    expect(loads.every((l, i) => l.result.acknowledged.length > before[i])).toBe(true); // still taking traffic, on EKS alone

    blueWorker = await blue.addWorker(); // the way back starts with the old side's workers up
    const back = await cutover('hetzner', '50,90,100', greenWorker);
    expect(back.stdout).toContain('done: all traffic on hetzner, eks queues empty');
    expect(proxy.weights()).toEqual({ hetzner: 100, eks: 0 });
    expect(await greenWorker.proc.exited).toBe(0);

    const results = await Promise.all(loads.map((l) => l.stop()));
    for (const r of results) expect({ refused: r.refused, messages: r.messages }).toEqual({ refused: {}, messages: {} });
    const acknowledged = results.flatMap((r) => r.acknowledged);
    const audit = await ledger.settle(acknowledged, Math.max(blue.leaseMs, green.leaseMs));
    expect(audit).toMatchObject({ lost: 0, doubled: 0 });
    const sqs = new SqsDriver(testConfig({ QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: prefix }));
    try {
      for (const lane of LANES) expect(pendingDeliveries(await sqs.depth(lane))).toBe(0);
    } finally {
      await sqs.close();
    }
    process.stdout.write(`blue-green: ${audit.acknowledged} acknowledged through nginx, ${audit.processed} processed, 0 lost, 0 doubled, 0 failed requests\n`);
    // Two cutovers of up to 120 s each (each step also re-renders the AWS assembly), each drain a quiet window.
  }, 300_000);
});
